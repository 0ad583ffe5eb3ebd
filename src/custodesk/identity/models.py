from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.core import access
from custodesk.core.ids import uuid7


class SignInFactor(models.TextChoices):
    NONE = "", _("Authenticator if enrolled")
    TOTP = "totp", _("Authenticator app (required)")
    SMS = "sms", _("SMS code")


class Organisation(models.Model):
    """Whoever users belong to: the institution's staff, a market, a member company."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        MARKET = "market", _("Trading market")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    # Dual-admin mode (CT-MENU / MENU-ACL): role grants need a second admin.
    dual_admin = models.BooleanField(_("dual-admin mode"), default=False)
    # The second factor its users sign in with (LOGIN): "" = an authenticator if the
    # user enrolled one; "totp" = an authenticator, enrolled right after the first
    # password change; "sms" = a one-time code sent to the user's phone.
    sign_in_factor = models.CharField(
        _("second factor"), max_length=8, choices=SignInFactor.choices, blank=True, default=""
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UserManager(BaseUserManager["User"]):
    """Only what Django's auth machinery needs; users are created by services."""

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username__iexact=username)


class User(AbstractBaseUser):
    """A person who signs in.  Passwords are Argon2id hashes (PASSWORD_HASHERS)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LOCKED = "locked", _("Locked")
        INACTIVE = "inactive", _("Deactivated")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", verbose_name=_("organisation")
    )
    username = models.CharField(_("user name"), max_length=150, unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    lock_reason = models.CharField(_("lock reason"), max_length=200, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    failed_logins = models.PositiveIntegerField(default=0)
    lockout_until = models.DateTimeField(_("locked out until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    language = models.CharField(_("language"), max_length=16, blank=True)

    # AbstractBaseUser expects these.
    is_active = models.BooleanField(default=True)
    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="inactive", is_active=False) | ~Q(status="inactive"),
                name="user_inactive_consistent",
            )
        ]

    def __str__(self) -> str:
        return self.username

    # -- access ---------------------------------------------------------------
    def permission_codes(self) -> frozenset[str]:
        cached = getattr(self, "_permission_cache", None)
        if cached is None:
            codes: set[str] = set()
            for perms in Role.objects.filter(
                grants__user=self, grants__revoked_at__isnull=True
            ).values_list("permissions", flat=True):
                codes.update(perms or [])
            cached = access.effective_codes(codes, staff=self.is_staff_member())
            self._permission_cache = cached
        return cached

    def _grants(self) -> list[tuple[int, str]]:
        """(role id, role code) of the roles held now; read once per instance, as the
        permissions are (``forget_permissions`` reads them again)."""
        cached = getattr(self, "_grants_cache", None)
        if cached is None:
            cached = list(
                RoleGrant.objects.filter(user=self, revoked_at__isnull=True).values_list(
                    "role_id", "role__code"
                )
            )
            self._grants_cache = cached
        return cached

    def role_codes(self) -> list[str]:
        return sorted({code for _id, code in self._grants()})

    def role_ids(self) -> set[int]:
        return {role_id for role_id, _code in self._grants()}

    def has_permission(self, code: str) -> bool:
        return self.status != User.Status.INACTIVE and code in self.permission_codes()

    def forget_permissions(self) -> None:
        self.__dict__.pop("_permission_cache", None)
        self.__dict__.pop("_grants_cache", None)

    def is_staff_member(self) -> bool:
        """A user of the staff organisation (the institution itself)."""
        return self.organisation.kind == Organisation.Kind.STAFF

    def sees_organisation(self, organisation_id: int) -> bool:
        """Staff see every organisation; markets and members only their own."""
        if self.organisation_id == organisation_id:
            return True
        return self.organisation.kind == Organisation.Kind.STAFF

    def audit_snapshot(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "username": self.username,
            "organisation_id": self.organisation_id,
            "organisation_code": self.organisation.code,
            "roles": self.role_codes(),
        }


class Role(models.Model):
    """A named set of permission codes (declared in each module's permissions.py)."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="roles", verbose_name=_("organisation")
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    permissions = models.JSONField(_("permissions"), default=list)
    created_at = models.DateTimeField()
    # a removed role is retired, not deleted: past grants keep pointing at it
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["organisation_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="role_code_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class RoleGrant(models.Model):
    """A user holds a role from ``granted_at`` until ``revoked_at``.

    Rows are never deleted: a revocation closes the grant, so who held what
    and when stays answerable.
    """

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="grants")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants")
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    approval_request_id = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_grant_per_user_role",
            )
        ]


class UserSession(models.Model):
    """A signed-in session: a console session or an API bearer token.

    Bearer tokens are stored as SHA-256 digests; the token itself is shown once.
    Ending a session (sign-out, force-logout, expiry) is what makes its next
    request fail.
    """

    class Kind(models.TextChoices):
        CONSOLE = "console", _("Console")
        API = "api", _("API token")

    class EndReason(models.TextChoices):
        SIGNED_OUT = "signed_out", _("Signed out")
        FORCED = "forced", _("Forced logout")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        USER_LOCKED = "user_locked", _("User locked")
        EXPIRED = "expired", _("Expired")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_prefix = models.CharField(max_length=12, blank=True)
    ip = models.CharField(_("IP address"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("signed in"))
    last_seen_at = models.DateTimeField(_("last seen"))
    expires_at = models.DateTimeField(_("expires"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=24, choices=EndReason.choices, blank=True
    )
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def is_live(self, now: Any) -> bool:
        return self.ended_at is None and self.expires_at > now


class LoginDevice(models.Model):
    """One sign-in attempt (登錄設備記錄): who, when, from where, and how it ended."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Signed in")
        BAD_PASSWORD = "bad_password", _("Wrong password")
        UNKNOWN_USER = "unknown_user", _("Unknown user")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOCKED = "locked", _("User locked")
        INACTIVE = "inactive", _("User deactivated")
        OTP_REQUIRED = "otp_required", _("Second factor required")
        BAD_OTP = "bad_otp", _("Wrong second-factor code")
        NO_SECOND_FACTOR = "no_second_factor", _("No phone for the SMS code")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="login_devices"
    )
    organisation_id_snapshot = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(_("user name"), max_length=150)
    at = models.DateTimeField(_("time"), db_index=True)
    channel = models.CharField(_("channel"), max_length=16)
    ip = models.CharField(_("IP address"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    session = models.ForeignKey(
        UserSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("login device record")
        verbose_name_plural = _("login device records")


class SecurityEvent(models.Model):
    """A refused attempt: a sign-in that failed or met a lockout, a wrong second-factor
    code, a wrong current password on a password change, a request refused for want of
    a permission (403) — who, from where (IP, device), on which route, and why.

    Written by :mod:`custodesk.identity.security_events` (one INSERT, no read); read with
    the login-device records (permission ``identity.login_device.view``).
    """

    class Reason(models.TextChoices):
        PERMISSION_DENIED = "permission_denied", _("Permission denied")
        BAD_PASSWORD = "bad_password", _("Wrong password")
        UNKNOWN_USER = "unknown_user", _("Unknown user")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOCKOUT_STARTED = "lockout_started", _("Lockout started")
        USER_LOCKED = "locked", _("User locked")
        USER_INACTIVE = "inactive", _("User deactivated")
        BAD_OTP = "bad_otp", _("Wrong second-factor code")
        WRONG_CURRENT_PASSWORD = "wrong_current_password", _("Wrong current password")
        NO_SECOND_FACTOR = "no_second_factor", _("No phone for the SMS code")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    at = models.DateTimeField(_("time"), db_index=True)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    # the refusal's own code (e.g. permission_denied, password_change_required) and what
    # was missing (a permission code), when there is more to say than the reason
    code = models.CharField(_("code"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="security_events"
    )
    organisation_id_snapshot = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(_("user name"), max_length=150, blank=True)
    channel = models.CharField(_("channel"), max_length=16)
    route = models.CharField(_("route"), max_length=300, blank=True)
    ip = models.CharField(_("IP address"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")


class VerificationChallenge(models.Model):
    """A one-time code sent by SMS (6 digits, valid 5 minutes, at most 5 tries, single
    use).  Only a keyed hash of the code is kept; the code itself travels in the
    outbox's secrets, blanked once it is sent."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=32)
    phone = models.CharField(_("phone"), max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["purpose", "phone", "created_at"])]
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
