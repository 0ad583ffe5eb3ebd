from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from custodesk.core.errors import NotFound, PermissionDenied

from .errors import answering, refused


def console_view(fn: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in console page; NotFound → 404 page, PermissionDenied → 403 page."""

    @login_required
    @functools.wraps(fn)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            with answering(request):
                return fn(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            refused(request, exc)  # kept as a security event
            return render(request, "console/403.html", {"error": exc}, status=403)

    return wrapper
