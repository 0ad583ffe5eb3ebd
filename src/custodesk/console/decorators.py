from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from custodesk.core.errors import NotFound, PermissionDenied


def console_view(fn: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in console page; NotFound → 404 page, PermissionDenied → 403 page."""

    @login_required
    @functools.wraps(fn)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return fn(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            return render(request, "console/403.html", {"error": exc}, status=403)

    return wrapper
