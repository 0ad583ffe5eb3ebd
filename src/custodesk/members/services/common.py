"""What the registration and recovery services share: field checks, the SMS code,
duplicate IDs, member codes and login names."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import FieldError, ValidationFailed
from custodesk.identity import services as identity
from custodesk.identity.errors import UsernameTaken
from custodesk.identity.models import Organisation, User
from custodesk.notify import catalog

from .. import ids
from ..models import EnterpriseApplication, IdType, MemberProfile

PURPOSE_REGISTER = "member.register"
PURPOSE_FORGOT = "member.forgot"
LOGIN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.@_-]{3,31}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Checker:
    """Collects field errors; ``done()`` raises them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[dict[str, str]] = []

    def add(self, field: str, rule: str, message: Any) -> None:
        self.errors.append(FieldError(field, rule, message))

    def text(self, field: str, value: str | None, *, max_length: int, required: bool = True) -> str:
        value = (value or "").strip()
        if not value:
            if required:
                self.add(field, "required", _("This field is required."))
            return ""
        if len(value) > max_length:
            self.add(
                field,
                "max_length",
                _("At most %(n)d characters.") % {"n": max_length},
            )
        elif CONTROL.search(value):
            self.add(field, "control_characters", _("Control characters are not allowed."))
        return value

    def choice(self, field: str, value: str | None, allowed: Iterable[str]) -> str:
        value = (value or "").strip()
        if value not in set(allowed):
            self.add(field, "choice", _("Not a valid choice."))
            return ""
        return value

    def id_number(self, field: str, id_type: str, value: str | None, *, today: dt.date) -> str:
        if not id_type:
            return ""
        if not (value or "").strip():
            self.add(field, "required", _("This field is required."))
            return ""
        if len(value or "") > 40:
            self.add(field, "max_length", _("At most %(n)d characters.") % {"n": 40})
            return ""
        try:
            checked = ids.check_id(id_type, value or "", today=today)
        except ids.IdProblem as problem:
            self.add(field, problem.rule, problem.message)
            return ""
        for rule in checked.warnings:
            self.warnings.append({"field": field, "rule": rule, "message": str(WARNINGS[rule])})
        return checked.value

    def mobile(self, field: str, value: str | None) -> str:
        if not (value or "").strip():
            self.add(field, "required", _("This field is required."))
            return ""
        try:
            return ids.normalise_mobile(value or "")
        except ids.IdProblem as problem:
            self.add(field, problem.rule, problem.message)
            return ""

    def email(self, field: str, value: str | None) -> str:
        value = (value or "").strip()
        if not value:
            return ""
        try:
            if len(value) > 254:
                raise ValidationError("too long")
            validate_email(value)
        except ValidationError:
            self.add(field, "email", _("Enter a valid e-mail address."))
        return value

    def login_name(self, field: str, value: str | None) -> str:
        value = (value or "").strip()
        if not LOGIN_NAME_RE.match(value):
            self.add(
                field,
                "pattern",
                _(
                    "4–32 characters; starts with a letter; letters, digits, "
                    "'.', '@', '-' and '_' only."
                ),
            )
            return ""
        return value

    def done(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


WARNINGS = {
    "area_unknown": _("The area code of this ID number is not in our table; check the number."),
    "luhn": _("This card number fails the usual check; check it before you go on."),
}


def language(value: str | None) -> str:
    return catalog.language_code(value) or ""


def id_in_use(id_type: str, id_number: str) -> bool:
    """A member holds this ID, or an application with it waits for review.  An
    organisation code also matches the code inside a unified social credit code."""
    if MemberProfile.objects.filter(id_type=id_type, id_number=id_number).exists():
        return True
    pending = EnterpriseApplication.objects.filter(status=EnterpriseApplication.Status.SUBMITTED)
    if pending.filter(id_type=id_type, id_number=id_number).exists():
        return True
    if id_type == IdType.ORG_CODE:
        inside = {
            "id_type": IdType.USCC,
            "id_number__regex": rf"^.{{8}}{id_number.replace('-', '')}.$",
        }
        return MemberProfile.objects.filter(**inside).exists() or pending.filter(**inside).exists()
    if id_type == IdType.USCC:
        inner = f"{id_number[8:16]}-{id_number[16]}"
        org = IdType.ORG_CODE
        return (
            MemberProfile.objects.filter(id_type=org, id_number=inner).exists()
            or pending.filter(id_type=org, id_number=inner).exists()
        )
    return False


def duplicate_error(field: str = "id_number") -> ValidationFailed:
    return ValidationFailed.single(
        field, "duplicate", _("A member or an application with this ID number already exists.")
    )


def check_code(*, challenge_id: Any, purpose: str, phone: str, code: str, now: dt.datetime) -> None:
    """The SMS code (identity's verification): consumed on success, a failed try
    counted.  Runs outside any transaction of ours (identity commits the try)."""
    identity.verification_check(
        challenge_id=challenge_id, purpose=purpose, phone=phone, code=code, now=now,
        field="sms_code",
    )  # fmt: skip


def new_org_code(prefix: str) -> str:
    while True:
        code = f"{prefix}{secrets.randbelow(10**9):09d}"
        if not Organisation.objects.filter(code=code).exists():
            return code


def new_login_name(prefix: str = "m") -> str:
    while True:
        name = f"{prefix}{secrets.randbelow(10**8):08d}"
        if not User.objects.filter(username__iexact=name).exists():
            return name


def login_name_free(name: str) -> bool:
    return not (
        User.objects.filter(username__iexact=name).exists()
        or EnterpriseApplication.objects.filter(
            status=EnterpriseApplication.Status.SUBMITTED, desired_username__iexact=name
        ).exists()
    )


def open_member_org(
    *,
    actor: User | None,
    prefix: str,
    name: str,
    sign_in_factor: str,
    username: str,
    full_name: str,
    email: str,
    phone: str,
    language: str,
    now: dt.datetime,
) -> tuple[Organisation, User, str]:
    """identity.organisation_open in a savepoint: a login name taken meanwhile falls
    back to a generated one (the member is told its name through the outbox)."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                org, user, password = identity.organisation_open(
                    actor=actor,
                    code=new_org_code(prefix),
                    name=name,
                    kind="member",
                    sign_in_factor=sign_in_factor,
                    admin_username=username,
                    admin_full_name=full_name,
                    admin_email=email,
                    admin_phone=phone,
                    admin_language=language,
                    now=now,
                )
                return org, user, password
        except UsernameTaken:
            if attempt == 2:
                raise
            username = new_login_name()
    raise AssertionError("unreachable")
