"""The brokerage module's refusals, named as facts (custodesk.core.errors)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, DomainError, IllegalTransition


class InvalidTransition(IllegalTransition):
    """A security action the object's state does not allow: the problem names the
    action and the state it would go ``from`` and ``to``."""

    code = "invalid_transition"
    title = _("This action is not allowed in the current state.")

    def __init__(self, *, action: str, from_state: str, to_state: str, **data: Any) -> None:
        super().__init__(None, action=action, **{"from": from_state, "to": to_state}, **data)


class ReregistrationBlocked(Conflict):
    code = "reregistration_blocked"
    title = _("This client was closed and may not register again yet.")


class ClientNotActive(Conflict):
    code = "client_not_active"
    title = _("The client is not active.")


class AccountNotActive(Conflict):
    code = "account_not_active"
    title = _("The account is closed or frozen.")


class AccountHasCash(Conflict):
    code = "account_has_cash"
    title = _("The account still holds cash or pending movements.")


class ClientHasOpenAccounts(Conflict):
    code = "client_has_open_accounts"
    title = _("Close the client's accounts first.")


class AppLoginExists(Conflict):
    code = "app_login_exists"
    title = _("The client already has an app login.")


class SignInRefused(DomainError):
    """The client app's sign-in failed.  ``invalid_credentials`` for an unknown login
    name, a wrong password or a lockout (they are not told apart); the others only
    after the right password."""

    status: ClassVar[int] = 401
    code = "invalid_credentials"
    title: ClassVar[str | Promise] = _("Wrong login name or password.")


class AppLoginLocked(SignInRefused):
    status = 403
    code = "login_locked"
    title = _("This app login is locked. Contact the broker.")


class ClientFrozen(SignInRefused):
    status = 403
    code = "client_frozen"
    title = _("This client is frozen. Contact the broker.")


class ClientClosed(SignInRefused):
    status = 403
    code = "client_closed"
    title = _("This client is closed.")


class AppTokenInvalid(DomainError):
    status = 401
    code = "authentication_required"
    title = _("Sign in first.")
