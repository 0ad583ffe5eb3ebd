from __future__ import annotations

import datetime as dt
from uuid import UUID

from ninja import Field, Schema


class SignInIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    otp_code: str | None = Field(None, max_length=32, description="TOTP or recovery code")


class OrganisationOut(Schema):
    id: UUID = Field(alias="public_id")
    code: str
    name: str
    kind: str


class MeOut(Schema):
    id: UUID = Field(alias="public_id")
    username: str
    full_name: str
    email: str
    status: str
    must_change_password: bool
    organisation: OrganisationOut
    roles: list[str]
    permissions: list[str]
    totp_enrolled: bool


class SignInOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_at: dt.datetime
    session_id: UUID
    must_change_password: bool
    user: MeOut


class PasswordChangeIn(Schema):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)
    new_password_again: str = Field(min_length=1, max_length=256)


class TotpBeginOut(Schema):
    secret: str = Field(description="Base32 secret for manual entry")
    otpauth_uri: str
    qr_svg: str = Field(description="data: URI of an SVG QR code")


class CodeIn(Schema):
    code: str = Field(min_length=6, max_length=32)


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]


class UserOut(Schema):
    id: UUID = Field(alias="public_id")
    username: str
    full_name: str
    email: str
    phone: str
    status: str
    lock_reason: str
    must_change_password: bool
    locked_out_until: dt.datetime | None = Field(None, alias="lockout_until")
    organisation: OrganisationOut
    created_at: dt.datetime


class UserCreateIn(Schema):
    username: str = Field(max_length=150)
    full_name: str = Field(max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    organisation_id: UUID | None = None
    password: str | None = Field(None, description="Omit to generate a temporary password")


class UserCreatedOut(Schema):
    user: UserOut
    temporary_password: str


class ReasonIn(Schema):
    reason: str = Field(max_length=500)


class OptionalReasonIn(Schema):
    reason: str = Field("", max_length=500)


class DualAdminIn(Schema):
    enabled: bool


class RoleOut(Schema):
    id: UUID = Field(alias="public_id")
    code: str
    name: str
    description: str
    permissions: list[str]


class RoleCreateIn(Schema):
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    description: str = ""
    permissions: list[str] = []


class PermissionsIn(Schema):
    permissions: list[str]


class PermissionOut(Schema):
    code: str
    label: str
    group: str


class GrantIn(Schema):
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
    kind: str
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
    result: str


class CountOut(Schema):
    ended: int
