from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Code, Input, OneOf, StrictBool, Text

from .models import LoginDevice, Organisation, User, UserSession

Password = Annotated[str, Field(min_length=1, max_length=256)]
UserStatus = Annotated[str, OneOf(User.Status)]


class SignInIn(Input):
    username: Text = Field(min_length=1, max_length=150)
    password: Password
    otp_code: Code | None = Field(
        None, max_length=32, description="TOTP or recovery code, or the SMS code"
    )
    challenge_id: UUID | None = Field(
        None, description="The SMS code's challenge (from the otp_required answer)"
    )
    captcha_key: Code | None = Field(
        None, max_length=40, description="From GET /auth/captcha, when a captcha is due"
    )
    captcha_value: Code | None = Field(
        None, max_length=16, description="The characters shown in the captcha's image"
    )


class CaptchaOut(Schema):
    key: str
    image_url: str = Field(description="PNG image, same origin; good for one answer, 5 min")


class OrganisationOut(Schema):
    id: UUID = Field(alias="public_id")
    code: str
    name: str
    kind: Annotated[str, OneOf(Organisation.Kind)]


class MeOut(Schema):
    id: UUID = Field(alias="public_id")
    username: str
    full_name: str
    email: str
    status: UserStatus
    must_change_password: bool
    organisation: OrganisationOut
    roles: list[str]
    permissions: list[str]
    totp_enrolled: bool
    second_factor_enrolment_required: bool = False


class SignInOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_at: dt.datetime
    session_id: UUID
    must_change_password: bool
    second_factor_enrolment_required: bool = Field(
        False,
        description="The organisation requires an authenticator and the user has none: "
        "only the password change and the enrolment (POST /me/totp) answer until it is done",
    )
    user: MeOut


class PasswordChangeIn(Input):
    current_password: Password
    new_password: Password
    new_password_again: Password


class UsernameChangeIn(Input):
    new_username: Text = Field(min_length=1, max_length=64)
    new_username_again: Text = Field(min_length=1, max_length=64)
    current_password: Password


class TotpBeginOut(Schema):
    secret: str = Field(description="Base32 secret for manual entry")
    otpauth_uri: str
    qr_svg: str = Field(description="data: URI of an SVG QR code")


class CodeIn(Input):
    code: Code = Field(min_length=6, max_length=32)


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]


class UserOut(Schema):
    id: UUID = Field(alias="public_id")
    username: str
    full_name: str
    email: str
    phone: str
    status: UserStatus
    lock_reason: str
    must_change_password: bool
    locked_out_until: dt.datetime | None = Field(None, alias="lockout_until")
    organisation: OrganisationOut
    created_at: dt.datetime


class UserCreateIn(Input):
    username: Code = Field(min_length=1, max_length=150)
    full_name: Text = Field(min_length=1, max_length=200)
    email: Code = Field("", max_length=254)
    phone: Text = Field("", max_length=32)
    organisation_id: UUID | None = None
    password: Password | None = Field(None, description="Omit to generate a temporary password")


class UserCreatedOut(Schema):
    user: UserOut
    temporary_password: str


class UserReasonIn(Input):
    reason: Text = Field(min_length=1, max_length=500)


class OptionalReasonIn(Input):
    reason: Text = Field("", max_length=500)


class DualAdminIn(Input):
    enabled: StrictBool


class RoleOut(Schema):
    id: UUID = Field(alias="public_id")
    code: str
    name: str
    description: str
    permissions: list[str]


PermissionCode = Annotated[Code, Field(max_length=64)]


class RoleCreateIn(Input):
    code: Code = Field(min_length=1, max_length=64)
    name: Text = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=1000)
    permissions: list[PermissionCode] = Field([], max_length=200)


class PermissionsIn(Input):
    permissions: list[PermissionCode] = Field(max_length=200)


class PermissionOut(Schema):
    code: str
    label: str
    group: str


class GrantIn(Input):
    role_id: UUID


class GrantOut(Schema):
    id: UUID = Field(alias="public_id")
    role: RoleOut
    granted_at: dt.datetime
    granted_by: str | None = None
    approval_request_id: str
    revoked_at: dt.datetime | None


class SessionOut(Schema):
    id: UUID = Field(alias="public_id")
    username: str
    kind: Annotated[str, OneOf(UserSession.Kind)]
    ip: str
    user_agent: str
    device_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str
    current: bool = False


class LoginDeviceOut(Schema):
    id: UUID = Field(alias="public_id")
    username: str
    at: dt.datetime
    channel: str
    ip: str
    user_agent: str
    device_id: str
    result: Annotated[str, OneOf(LoginDevice.Result)]


class SecurityEventOut(Schema):
    id: UUID = Field(alias="public_id")
    at: dt.datetime
    reason: str
    code: str
    detail: str
    username: str
    channel: str
    route: str
    ip: str
    user_agent: str
    device_id: str
    request_id: str


class CountOut(Schema):
    ended: int
