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
