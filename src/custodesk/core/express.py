"""The express lane: the busiest API route answered without Django's full request cycle.

:class:`ExpressLane` wraps the WSGI application (``custodesk.config.wsgi``).  A request
to one of its routes (method + exact path, ``custodesk.config.express.ROUTES``) goes
first to the route's *express handler*, which either

* answers — only ever a plain success it can give completely, or
* declines (returns None) having changed nothing, and then the request goes through
  Django as any other: middleware, URL routing, django-ninja, the full view.

A handler must answer every error that follows a change itself (the ledger's handler
answers it as django-ninja answers a view's exception); an exception that escapes a
handler is taken to have come before any change, and Django then takes the request.

So every refusal, validation error, authentication or permission failure, replay and
anything unusual is answered by the ordinary code, once; the lane only makes the
common success cheaper.  It was built because the per-request cost of Django's handler,
its middleware chain and django-ninja's machinery was more than half of an HTTP
transfer's CPU (``docs/benchmarks.md``).

What the ordinary cycle does for an API request, the lane does too, with the same code:
Django's ``WSGIRequest``; the ``request_started``/``request_finished`` signals (database
connection upkeep); the ``Host`` check; the request context (request id, channel, IP, device:
:func:`custodesk.core.middleware.request_context`); the language (as
``LocaleMiddleware``); the response hooks of the API's other middleware (security
headers, frame options) and ``Content-Length``.  A test compares the lane's answers with
the ordinary ones, headers included, and another fails when a middleware is added that
the lane does not account for.

``CUSTODESK_EXPRESS_LANE=0`` turns the lane off (every request takes the ordinary path).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response
from django.utils.module_loading import import_string

from . import context
from .middleware import request_context, with_content_length

logger = logging.getLogger("custodesk.express")

ExpressHandler = Callable[[HttpRequest], HttpResponse | None]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# How the lane accounts for each entry of settings.MIDDLEWARE on an API request (a test
# fails when an entry is missing here):
#   hooks run by the lane:        Security (HTTPS redirect, security headers),
#                                 XFrameOptions (X-Frame-Options)
#   reproduced by the lane:       RequestContextMiddleware (request_context, X-Request-ID),
#                                 LocaleMiddleware (the request's language, activated;
#                                 Content-Language, Vary; no i18n_patterns URLs, which a
#                                 test checks), Common (Host check, Content-Length),
#                                 Authentication
#                                 (anonymous until the bearer token's user is set)
#   skipped for the API anyway:   every custodesk.core.middleware.ConsoleOnly subclass
HOOKED_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
REPRODUCED_MIDDLEWARE = (
    "custodesk.core.middleware.RequestContextMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "custodesk.core.middleware.Common",
    "custodesk.core.middleware.Authentication",
)


def _no_view(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError("the express lane calls middleware hooks only")


class ExpressLane:
    """WSGI wrapper: ``routes`` maps ``(method, path)`` to an express handler (or its
    dotted path); everything else, and every declined request, goes to ``app``."""

    def __init__(self, app: WSGIApp, routes: dict[tuple[str, str], Any]) -> None:
        self.app = app
        self.routes = dict(routes)
        self._hooks: list[Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        key = (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        if key not in self.routes or not settings.CUSTODESK_EXPRESS_LANE:
            return self.app(environ, start_response)
        request = WSGIRequest(environ)
        try:
            body = request.body  # read once; kept for Django if the handler declines
        except Exception:  # too large, or a broken stream: Django answers it
            return self.app(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        response = self._answer(request, self._handler(key))
        if response is None:
            return self.app(environ, start_response)
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [
            *response.items(),
            *(("Set-Cookie", c.OutputString()) for c in response.cookies.values()),
        ]
        start_response(status, headers)
        return [response.content]

    def warm_up(self) -> None:
        """Import every route's handler and the middleware hooks now (at the worker's
        start) rather than in the first request that needs them."""
        for key in self.routes:
            self.routes[key] = self._handler(key)
        self._middleware()

    def _handler(self, key: tuple[str, str]) -> ExpressHandler:
        target = self.routes[key]
        handler: ExpressHandler = import_string(target) if isinstance(target, str) else target
        return handler

    def _middleware(self) -> tuple[Any, Any]:
        if self._hooks is None:
            self._hooks = [import_string(name)(_no_view) for name in HOOKED_MIDDLEWARE]
        security, xframe = self._hooks
        return security, xframe

    def _answer(self, request: WSGIRequest, handler: ExpressHandler) -> HttpResponse | None:
        signals.request_started.send(sender=self.__class__, environ=request.environ)
        try:
            security, xframe = self._middleware()
            if security.process_request(request) is not None:
                return None  # the HTTPS redirect: Django answers it
            try:
                request.get_host()  # as the API's Common middleware checks it
            except DisallowedHost:
                return None  # Django answers 400
            # LocaleMiddleware, for URLs outside i18n_patterns
            translation.activate(translation.get_language_from_request(request))
            language = request.LANGUAGE_CODE = translation.get_language()
            ctx, _new_device = request_context(request)
            with context.bind(ctx):
                try:
                    response = handler(request)
                except Exception:
                    # handlers answer every error that follows a change themselves; one
                    # that escapes came before any (a database error reading the session,
                    # say): Django takes the request and answers it as it would
                    logger.warning("express handler failed; Django answers", exc_info=True)
                    return None
            if response is None:
                return None
            response["X-Request-ID"] = ctx.request_id
            response = with_content_length(response)
            response = xframe.process_response(request, response)
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", language)
            response = security.process_response(request, response)
            if response.status_code >= 400:
                log_response(
                    "%s: %s", response.reason_phrase, request.path,
                    response=response, request=request,
                )  # fmt: skip
            return response
        finally:
            signals.request_finished.send(sender=self.__class__)


def wrap(app: WSGIApp) -> WSGIApp:
    """``app`` behind the express lane with the project's routes."""
    from custodesk.config.express import ROUTES

    return ExpressLane(app, ROUTES)
