from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from custodesk.core import clock

from . import menu

_badge_providers: list[Any] = []


def register_badge(provider: Any) -> None:
    """A callable(user) -> dict(label, count, url) | None shown in the top bar."""
    _badge_providers.append(provider)


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/console/"):
        return {"business_date": clock.business_date(), "languages": settings.LANGUAGES}
    badges = [b for b in (p(user) for p in _badge_providers) if b]
    return {
        "menu": menu.build(user, request.path),
        "business_date": clock.business_date(),
        "languages": settings.LANGUAGES,
        "badges": badges,
        "page_sizes": settings.CUSTODESK_PAGE_SIZES,
    }
