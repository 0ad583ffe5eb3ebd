"""Account flags (ACC-FLAG): admin-defined marks (code, names in three languages,
colour) set on accounts one at a time or in bulk.

Setting or unsetting in bulk answers per account (``set``, ``already_set``, ``unset``,
``not_set``, ``not_found``): one transaction, one operation record per account that
changed (its flags before and after), nothing written for the others.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.identity.models import User

from .. import permissions_list as perms
from ..models import Account, AccountFlag, AccountFlagAssignment

CODE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
BULK_MAX = 1000


def flag_state(f: AccountFlag) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "name_hant": f.name_hant,
        "name_hans": f.name_hans,
        "colour": f.colour,
        "active": f.active,
    }


def _flag_errors(*, name: str, name_hant: str, name_hans: str, colour: str) -> list[FieldError]:
    errors = []
    for field, value in (("name", name), ("name_hant", name_hant), ("name_hans", name_hans)):
        if not value.strip():
            errors.append(FieldError(field, "required", _("Enter the name in each language.")))
        elif len(value) > 100:
            errors.append(FieldError(field, "max_length", _("At most 100 characters.")))
    if not COLOUR.fullmatch(colour):
        errors.append(FieldError("colour", "colour", _("Enter a colour as #RRGGBB.")))
    return errors


@transaction.atomic(durable=True)
def flag_create(
    *,
    actor: User,
    code: str,
    name: str,
    name_hant: str,
    name_hans: str,
    colour: str,
    now: dt.datetime,
) -> AccountFlag:
    """Define a flag.  Raises PermissionDenied, ValidationFailed (``code`` pattern /
    unique, names required, ``colour`` not #RRGGBB)."""
    access.require(actor, perms.FLAG_MANAGE)
    errors = _flag_errors(name=name, name_hant=name_hant, name_hans=name_hans, colour=colour)
    if not CODE.fullmatch(code):
        errors.insert(
            0,
            FieldError("code", "pattern", _("2–32 capital letters, digits or _, a letter first.")),
        )
    elif AccountFlag.objects.filter(code=code).exists():
        errors.insert(0, FieldError("code", "unique", _("This code is taken.")))
    if errors:
        raise ValidationFailed(errors)
    flag = AccountFlag.objects.create(
        code=code,
        name=name.strip(),
        name_hant=name_hant.strip(),
        name_hans=name_hans.strip(),
        colour=colour.lower(),
        created_at=now,
    )
    record(
        actor=actor,
        action="brokerage.flag.create",
        object_type="brokerage_flag",
        object_id=flag.public_id,
        object_repr=flag.code,
        after=flag_state(flag),
        now=now,
    )
    return flag


@transaction.atomic(durable=True)
def flag_update(
    *,
    actor: User,
    code: str,
    name: str,
    name_hant: str,
    name_hans: str,
    colour: str,
    active: bool,
    now: dt.datetime,
) -> AccountFlag:
    """Rename, recolour, retire (``active=False``: no longer settable; kept on the
    accounts that carry it) or restore a flag.  Raises PermissionDenied, NotFound,
    ValidationFailed."""
    access.require(actor, perms.FLAG_MANAGE)
    flag = AccountFlag.objects.select_for_update().filter(code=code).first()
    if flag is None:
        raise NotFound(object="account_flag", code=code)
    errors = _flag_errors(name=name, name_hant=name_hant, name_hans=name_hans, colour=colour)
    if errors:
        raise ValidationFailed(errors)
    before = flag_state(flag)
    flag.name, flag.name_hant, flag.name_hans = name.strip(), name_hant.strip(), name_hans.strip()
    flag.colour, flag.active = colour.lower(), active
    flag.save()
    record(
        actor=actor,
        action="brokerage.flag.update",
        object_type="brokerage_flag",
        object_id=flag.public_id,
        object_repr=flag.code,
        before=before,
        after=flag_state(flag),
        now=now,
    )
    return flag


@dataclass(frozen=True)
class FlagResult:
    account: str
    outcome: str  # set / already_set / unset / not_set / not_found


def _bulk(
    *,
    actor: User,
    flag_code: str,
    account_numbers: list[str],
    on: bool,
    reason: str,
    now: dt.datetime,
) -> list[FlagResult]:
    access.require(actor, perms.FLAG_MANAGE)
    numbers = list(dict.fromkeys(n.strip() for n in account_numbers if n.strip()))
    errors = []
    if not numbers:
        errors.append(FieldError("accounts", "required", _("Choose at least one account.")))
    elif len(numbers) > BULK_MAX:
        errors.append(FieldError("accounts", "max_items", _("At most 1,000 accounts at a time.")))
    flag = AccountFlag.objects.filter(code=flag_code).first()
    if flag is None:
        errors.append(FieldError("flag", "unknown", _("No such account flag.")))
    elif on and not flag.active:
        errors.append(FieldError("flag", "inactive", _("This flag is retired.")))
    if len(reason) > 400:
        errors.append(FieldError("reason", "max_length", _("At most 400 characters.")))
    if errors:
        raise ValidationFailed(errors)
    assert flag is not None
    # lock the accounts first, in a fixed order (by id)
    accounts = {
        a.number: a
        for a in Account.objects.select_for_update().filter(number__in=numbers).order_by("pk")
    }
    have: dict[int, list[str]] = {}
    for account_id, code in AccountFlagAssignment.objects.filter(
        account__in=accounts.values()
    ).values_list("account_id", "flag__code"):
        have.setdefault(account_id, []).append(code)
    results = []
    for number in numbers:
        account = accounts.get(number)
        if account is None:
            results.append(FlagResult(number, "not_found"))
            continue
        before = sorted(have.get(account.pk, []))
        if on and flag.code in before:
            results.append(FlagResult(number, "already_set"))
            continue
        if not on and flag.code not in before:
            results.append(FlagResult(number, "not_set"))
            continue
        if on:
            AccountFlagAssignment.objects.create(
                account=account, flag=flag, assigned_by=actor, assigned_at=now
            )
            after = sorted([*before, flag.code])
        else:
            AccountFlagAssignment.objects.filter(account=account, flag=flag).delete()
            after = [c for c in before if c != flag.code]
        record(
            actor=actor,
            action="brokerage.account.flag_set" if on else "brokerage.account.flag_unset",
            object_type="brokerage_account",
            object_id=account.public_id,
            object_repr=account.number,
            before={"flags": before},
            after={"flags": after},
            reason=reason,
            now=now,
        )
        results.append(FlagResult(number, "set" if on else "unset"))
    return results


@transaction.atomic(durable=True)
def flags_set(
    *,
    actor: User,
    flag_code: str,
    account_numbers: list[str],
    reason: str = "",
    now: dt.datetime,
) -> list[FlagResult]:
    """Set a flag on one or many accounts; an answer per account.  Raises
    PermissionDenied, ValidationFailed (``flag`` unknown / retired, ``accounts``)."""
    return _bulk(
        actor=actor,
        flag_code=flag_code,
        account_numbers=account_numbers,
        on=True,
        reason=reason,
        now=now,
    )


@transaction.atomic(durable=True)
def flags_unset(
    *,
    actor: User,
    flag_code: str,
    account_numbers: list[str],
    reason: str = "",
    now: dt.datetime,
) -> list[FlagResult]:
    """Take a flag off one or many accounts; an answer per account."""
    return _bulk(
        actor=actor,
        flag_code=flag_code,
        account_numbers=account_numbers,
        on=False,
        reason=reason,
        now=now,
    )
