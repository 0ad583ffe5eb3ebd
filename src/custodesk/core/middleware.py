from __future__ import annotations

import ipaddress
import re
import secrets
import socket
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """The address of whoever sent the request.

    ``REMOTE_ADDR`` is the peer of the TCP connection (corrected under uWSGI's HTTP/1.1
    socket, see :func:`with_peer_address`).  Behind ``CUSTODESK_TRUSTED_PROXIES`` = N proxies,
    each of which appends the address it received the request from to
    ``X-Forwarded-For``, the client is the N-th entry from the right: entries further
    left were written by the client itself and prove nothing.  With fewer entries than
    N (a request that did not come through the proxies) the peer address stands.
    """
    meta = request.META
    peer = meta.get("REMOTE_ADDR") or None
    hops = settings.CUSTODESK_TRUSTED_PROXIES
    if hops:
        forwarded = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [h for h in forwarded if h]
        if len(forwarded) >= hops:
            candidate = _ip_or_none(forwarded[-hops])
            if candidate is not None:
                return candidate
    return peer


def _ip_or_none(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


try:  # importable only inside a uWSGI worker (``custodesk serve``)
    import uwsgi

    # Does the worker read HTTP straight from the client (``--http11-socket``, as
    # ``custodesk serve`` runs it)?  Then the connection's peer is the client.
    _HTTP_SOCKET = any(k in uwsgi.opt for k in ("http11-socket", "http-socket"))
except ImportError:
    uwsgi = None
    _HTTP_SOCKET = False


def with_peer_address(app: Callable[..., Any]) -> Callable[..., Any]:
    """The WSGI application with ``REMOTE_ADDR`` taken from the connection itself when
    uWSGI's HTTP socket serves it (``custodesk serve``); unchanged elsewhere.

    uWSGI 2.0's ``--http11-socket`` fills ``REMOTE_ADDR`` from the address ``accept()``
    returned, and on a kept-alive connection every request after the first is parsed
    without a new ``accept()``: its ``REMOTE_ADDR`` is the zeroed address ``0.0.0.0``
    (and its parser reads IPv4 only).  The peer of the connection's socket
    (``getpeername`` on ``uwsgi.connection_fd()``: one system call) is the truth; it is
    written into ``REMOTE_ADDR`` for everything that reads it, and into the access
    log's ``%(peer)``.
    """
    if not _HTTP_SOCKET:
        return app

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        sock = socket.socket(fileno=uwsgi.connection_fd())
        try:
            name = sock.getpeername()
        except OSError:
            name = None
        finally:
            sock.detach()  # the socket stays uWSGI's
        peer = _ip_or_none(name[0]) if isinstance(name, tuple) else None
        if peer is not None:
            environ["REMOTE_ADDR"] = peer
        uwsgi.set_logvar("peer", environ.get("REMOTE_ADDR") or "-")
        return app(environ, start_response)

    return application


class RequestContextMiddleware:
    """Binds a :class:`~custodesk.core.context.RequestContext` for the request.

    The request id comes from ``X-Request-ID`` when it is well formed, else a new
    one; it is echoed in the response.  The device id is a long-lived cookie set
    on first contact (API clients may send ``X-Device-Id`` instead).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx, new_device = request_context(request)
        with context.bind(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        if _no_store(request) and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        if settings.CUSTODESK_HTTPS and "Strict-Transport-Security" not in response:
            # declared served behind TLS: also when the proxy's scheme is not passed on
            # (browsers ignore the header on plain HTTP)
            response["Strict-Transport-Security"] = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if new_device and ctx.channel == "console":
            response.set_cookie(
                settings.CUSTODESK_DEVICE_COOKIE,
                ctx.device_id,
                max_age=5 * 365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


# API answers that carry tokens or secrets (sign-in and password, TOTP secret and
# recovery codes, temporary passwords of new users and resets, approvals that execute them)
_SECRET_API_ANSWERS = re.compile(
    r"^/api/v1/(auth/|me/totp|users/?$|users/[^/]+/reset-password|approvals/)"
)


def _no_store(request: HttpRequest) -> bool:
    """``Cache-Control: no-store``: every console page of a signed-in user (and the
    sign-in pages), and the API answers that carry tokens or secrets."""
    path = request.path_info
    if path.startswith(API_PREFIX):
        return bool(_SECRET_API_ANSWERS.match(path))
    if path.startswith("/console/"):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def request_context(request: HttpRequest) -> tuple[context.RequestContext, bool]:
    """The request's context, and whether its device id is new."""
    meta = request.META
    rid = meta.get("HTTP_X_REQUEST_ID", "")
    if not _REQUEST_ID.match(rid):
        rid = context.new_request_id()
    device = meta.get("HTTP_X_DEVICE_ID") or request.COOKIES.get(
        settings.CUSTODESK_DEVICE_COOKIE, ""
    )
    new_device = not _DEVICE_ID.match(device)
    if new_device:
        device = secrets.token_urlsafe(18)
    ctx = context.RequestContext(
        request_id=rid,
        channel="api" if request.path.startswith(API_PREFIX) else "console",
        ip=client_ip(request),
        user_agent=meta.get("HTTP_USER_AGENT", "")[:400],
        device_id=device,
        route=f"{request.method} {request.path}"[:300],
    )
    request.custodesk_context = ctx  # type: ignore[attr-defined]
    return ctx, new_device


API_PREFIX = "/api/"

# What an API request runs of ``settings.MIDDLEWARE``: every other entry is a
# :class:`ConsoleOnly` wrapper that hands API requests straight on.  A test fails when an
# entry is added that is neither, so the API's chain stays this short on purpose.
API_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",  # HTTPS redirect, security headers
    "custodesk.core.middleware.RequestContextMiddleware",  # request id, audit context
    "django.middleware.locale.LocaleMiddleware",  # the answer's language
    "custodesk.core.middleware.Common",  # API: the Host check and Content-Length only
    "custodesk.core.middleware.Authentication",  # API: anonymous until the bearer token
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)


class ConsoleOnly:
    """Runs the wrapped middleware for the console (and everything else) but not for the
    API, whose requests carry a bearer token and answer JSON: no cookie session, CSRF
    token, flash messages, static files, CSP for HTML or htmx headers there.

    Each API request then skips these (measured: about 0.2 ms of CPU per request).
    Subclasses name the wrapped middleware in ``wrapped``.
    """

    wrapped = ""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.utils.module_loading import import_string

        self.get_response = get_response
        self.inner = import_string(self.wrapped)(get_response)
        for hook in ("process_view", "process_exception", "process_template_response"):
            method = getattr(self.inner, hook, None)
            if method is not None:
                setattr(self, hook, self._console_only(method, hook))

    @staticmethod
    def _console_only(method: Callable[..., Any], hook: str) -> Callable[..., Any]:
        def hook_for_console(request: HttpRequest, *args: Any) -> Any:
            if request.path_info.startswith(API_PREFIX):
                # process_template_response must hand the response on; the others say
                # "nothing to do" with None
                return args[0] if hook == "process_template_response" else None
            return method(request, *args)

        return hook_for_console

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return self.inner(request)


class StaticFiles(ConsoleOnly):
    wrapped = "whitenoise.middleware.WhiteNoiseMiddleware"


class Sessions(ConsoleOnly):
    wrapped = "django.contrib.sessions.middleware.SessionMiddleware"


class Common(ConsoleOnly):
    """The API keeps two things of CommonMiddleware: the ``Host`` header is checked
    against ``ALLOWED_HOSTS`` (``DisallowedHost``: 400), and whole answers carry
    ``Content-Length``, so the server need not chunk them (keep-alive with any server).
    And an answer given without reading the request's body (a 401 before the JSON is
    parsed) reads the rest of it first, so that the connection can carry the next request."""

    wrapped = "django.middleware.common.CommonMiddleware"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            request.get_host()  # raises DisallowedHost for a host not in ALLOWED_HOSTS
            return with_content_length(finish_reading(request, self.get_response(request)))
        return self.inner(request)


def finish_reading(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Read and drop what the view left unread of the request's body.

    uWSGI's HTTP/1.1 socket reads the next request from where the application stopped
    reading: a body left behind is taken for the next request line, and the connection
    is reset.  Up to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is drained; beyond that the answer
    says ``Connection: close`` instead.
    """
    stream = getattr(request, "_stream", None)  # Django's LimitedStream over wsgi.input
    left = getattr(stream, "limit", 0) - getattr(stream, "_pos", 0)
    if stream is None or left <= 0:
        return response
    if left > (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440):
        # wsgiref (runserver, the test server) refuses hop-by-hop headers from the
        # application (PEP 3333: a 500) and closes such a connection on its own
        if not request.META.get("SERVER_SOFTWARE", "").startswith("WSGIServer"):
            response["Connection"] = "close"
        return response
    try:
        while stream.read(65_536):
            pass
    except OSError:  # the client went away: nothing to keep alive
        response["Connection"] = "close"
    return response


def with_content_length(response: HttpResponse) -> HttpResponse:
    """A whole (not streaming) answer says its length, as CommonMiddleware does."""
    if not response.streaming and "Content-Length" not in response:
        response["Content-Length"] = str(len(response.content))
    return response


class Csrf(ConsoleOnly):
    wrapped = "django.middleware.csrf.CsrfViewMiddleware"


class ConsoleSession(ConsoleOnly):
    wrapped = "custodesk.identity.middleware.ConsoleSessionMiddleware"


class Messages(ConsoleOnly):
    wrapped = "django.contrib.messages.middleware.MessageMiddleware"


class ContentSecurityPolicy(ConsoleOnly):
    """CSP for every HTML page, the API's Swagger page included; not for JSON answers."""

    wrapped = "csp.middleware.CSPMiddleware"
    html_under_api = ("/api/v1/docs",)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIX) and not path.startswith(self.html_under_api):
            return self.get_response(request)
        return self.inner(request)


class Htmx(ConsoleOnly):
    wrapped = "django_htmx.middleware.HtmxMiddleware"


class Authentication(ConsoleOnly):
    """Console: Django's session user.  API: anonymous until the bearer token is checked
    (``custodesk.core.apiauth`` sets ``request.user``)."""

    wrapped = "django.contrib.auth.middleware.AuthenticationMiddleware"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            from django.contrib.auth.models import AnonymousUser

            request.user = AnonymousUser()
            return self.get_response(request)
        return self.inner(request)
