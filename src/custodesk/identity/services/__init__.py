"""Identity and access: write services, one module per concern.

Each public function is one use case in one transaction, takes the acting user
and ``now``, checks permissions, and writes its operation record.  Other modules
import from here (``from custodesk.identity import services``); the changes to the
controls (password resets, unlocks, roles, the dual-admin switch) are approvable
actions in ``identity.governance``.
"""

from .captcha_gate import captcha_required
from .common import TOKEN_PREFIX, USERNAME_RE, forget_cached_sessions, generate_password
from .roles import (
    role_grant_check,
    role_grant_cli,
    role_grant_execute,
    role_revoke_check,
    role_revoke_execute,
)
from .self_service import LOGIN_NAME_RE, password_reset_self, username_change
from .sessions import session_force_logout, session_touch, sessions_force_logout_all, sign_out
from .sign_in import (
    PASSWORD_PROOF_SALT,
    PASSWORD_PROOF_SECONDS,
    SignInOutcome,
    has_totp,
    needs_totp_enrolment,
    password_change,
    password_proof,
    sign_in,
    sign_in_second_factor,
    sign_in_sms_resend,
)
from .totp import totp_begin, totp_confirm
from .users import (
    bootstrap_admin,
    organisation_create,
    organisation_open,
    user_create,
    user_deactivate,
    user_lock,
)
from .verification import verification_check, verification_consume, verification_send

__all__ = [
    "LOGIN_NAME_RE",
    "PASSWORD_PROOF_SALT",
    "PASSWORD_PROOF_SECONDS",
    "TOKEN_PREFIX",
    "USERNAME_RE",
    "SignInOutcome",
    "bootstrap_admin",
    "captcha_required",
    "forget_cached_sessions",
    "generate_password",
    "has_totp",
    "needs_totp_enrolment",
    "organisation_create",
    "organisation_open",
    "password_change",
    "password_proof",
    "password_reset_self",
    "role_grant_check",
    "role_grant_cli",
    "role_grant_execute",
    "role_revoke_check",
    "role_revoke_execute",
    "session_force_logout",
    "session_touch",
    "sessions_force_logout_all",
    "sign_in",
    "sign_in_second_factor",
    "sign_in_sms_resend",
    "sign_out",
    "totp_begin",
    "totp_confirm",
    "user_create",
    "user_deactivate",
    "user_lock",
    "username_change",
    "verification_check",
    "verification_consume",
    "verification_send",
]
