from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from custodesk.core import clock

from . import services
from .models import UserSession

SESSION_KEY = "custodesk_session"
TOUCH_EVERY = dt.timedelta(seconds=60)
# Console paths a user who must change the password may still reach.
_OPEN_WHILE_FORCED = ("/console/password/", "/console/sign-out/", "/i18n/", "/static/")
# ... and one whose organisation requires an authenticator it has not enrolled (after
# the password change): "My security" and the enrolment.
_OPEN_WHILE_ENROLLING = ("/console/security/totp/", *_OPEN_WHILE_FORCED)


class ConsoleSessionMiddleware:
    """Ties Django's console session to a live :class:`UserSession`.

    A session that was ended (sign-out elsewhere, forced logout, password
    change, lock) or that idled out is rejected on its next request: the
    Django session is flushed and the user is anonymous again.  A user who must
    change the password is sent to the password page first; then one whose
    organisation requires an authenticator it has not enrolled, to "My security".
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.custodesk_session = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            now = clock.now()
            sid = request.session.get(SESSION_KEY)
            session = (
                UserSession.objects.filter(pk=sid, user_id=request.user.pk).first() if sid else None
            )
            if session is None or not session.is_live(now):
                logout(request)
                if request.path.startswith("/console/"):
                    response = redirect("console:sign_in")
                    return response
            else:
                if now - session.last_seen_at > TOUCH_EVERY:
                    services.session_touch(session_id=session.pk, now=now)
                request.custodesk_session = session  # type: ignore[attr-defined]
                if (
                    request.user.must_change_password
                    and request.path.startswith("/console/")
                    and not request.path.startswith(_OPEN_WHILE_FORCED)
                ):
                    return redirect("console:password_change")
                if (
                    request.path.startswith("/console/")
                    and request.path != "/console/security/"
                    and not request.path.startswith(_OPEN_WHILE_ENROLLING)
                    and services.needs_totp_enrolment(request.user)
                ):
                    return redirect("console:security")
        return self.get_response(request)
