from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from custodesk.core import clock, modules

from . import menu


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/console/"):
        return {"business_date": clock.business_date(), "languages": settings.LANGUAGES}
    # a badge provider (a module's ``badges``): callable(user) -> {label, count, url} | None
    badges = [b for b in (p(user) for p in modules.badges()) if b]
    return {
        "menu": menu.build(user, request.path),
        "business_date": clock.business_date(),
        "languages": settings.LANGUAGES,
        "badges": badges,
        "page_sizes": settings.CUSTODESK_PAGE_SIZES,
    }
