from typing import Any

from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import AuthenticationRequired, Conflict, DomainError, PermissionDenied


class InvalidCredentials(AuthenticationRequired):
    code = "invalid_credentials"
    title = _("The user name or password is not correct.")


class LockedOut(DomainError):
    code = "locked_out"
    title = _("Too many failed sign-in attempts. Try again later.")
    status = 423


class UserLocked(DomainError):
    code = "user_locked"
    title = _("This user is locked. Ask an administrator to unlock it.")
    status = 423


class UserInactive(AuthenticationRequired):
    code = "user_inactive"
    title = _("This user has been deactivated.")


class OtpRequired(AuthenticationRequired):
    code = "otp_required"
    title = _("Enter the code from your authenticator app.")


class InvalidOtp(AuthenticationRequired):
    code = "invalid_otp"
    title = _("The authenticator code is not valid or has already been used.")


class SignInExpired(AuthenticationRequired):
    code = "sign_in_expired"
    title = _("The sign-in has expired. Enter your password again.")


class PasswordChangeRequired(PermissionDenied):
    code = "password_change_required"
    title = _("You must change your password before doing anything else.")


class SessionEnded(AuthenticationRequired):
    code = "session_ended"
    title = _("Your session has ended. Sign in again.")


class WrongCurrentPassword(DomainError):
    code = "wrong_current_password"
    title = _("The current password is not correct.")
    status = 422


class TotpAlreadyEnrolled(Conflict):
    code = "totp_already_enrolled"
    title = _("An authenticator is already enrolled for this user.")


class TotpNotStarted(Conflict):
    code = "totp_not_started"
    title = _("Start the authenticator enrolment first.")


class RoleAlreadyGranted(Conflict):
    code = "role_already_granted"
    title = _("The user already holds this role.")


class RoleNotGranted(Conflict):
    code = "role_not_granted"
    title = _("The user does not hold this role.")


class UsernameTaken(Conflict):
    code = "username_taken"
    title = _("This user name is already taken.")


class CannotActOnSelf(DomainError):
    code = "cannot_act_on_self"
    title = _("You cannot do this to your own user.")
    status = 403


class RoleInUse(Conflict):
    code = "role_in_use"
    title = _("The role is still held by users; revoke it from them first.")


class TotpNotEnrolled(Conflict):
    code = "totp_not_enrolled"
    title = _("The user has no authenticator to remove.")


class InvalidVerificationCode(DomainError):
    """A one-time code refused: ``rule`` says why (``code_invalid``, ``code_expired``,
    ``code_used``, ``code_attempts_exceeded``), ``field`` names the input."""

    code = "verification_code_invalid"
    title = _("The verification code is not valid.")
    status = 422

    def __init__(self, *, field: str = "sms_code", rule: str = "code_invalid") -> None:
        super().__init__(_RULE_DETAILS.get(rule), field=field, rule=rule)
        self.field = field
        self.rule = rule

    def problem(self) -> dict[str, Any]:
        body = super().problem()
        body["errors"] = [
            {"field": self.field, "rule": self.rule, "message": str(self.detail or self.title)}
        ]
        return body


_RULE_DETAILS = {
    "code_invalid": _("The code is not correct."),
    "code_expired": _("The code has expired. Ask for a new one."),
    "code_used": _("The code has been used already. Ask for a new one."),
    "code_attempts_exceeded": _("Too many wrong codes. Ask for a new one."),
}


class CodeThrottled(DomainError):
    code = "code_throttled"
    title = _("A code was sent a moment ago. Wait a minute before asking for another.")
    status = 429


class CaptchaRequired(AuthenticationRequired):
    code = "captcha_required"
    title = _("Enter the characters shown in the image.")


class CaptchaInvalid(AuthenticationRequired):
    code = "captcha_invalid"
    title = _("The characters do not match the image. Try the new image.")


class SecondFactorEnrolmentRequired(PermissionDenied):
    code = "second_factor_enrolment_required"
    title = _("Set up your authenticator app before doing anything else.")


class SecondFactorUnavailable(DomainError):
    code = "second_factor_unavailable"
    title = _("No mobile number is on record for the sign-in code. Ask your administrator.")
    status = 409
