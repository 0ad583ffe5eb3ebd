"""Trading permissions (ACC-PERM): the product catalogue and each account's rights.

The rights *selected* on an account are rows of :class:`AccountPermission` (enabled or
not, reason, optional effective date); the rights *in force* are the selected ones that
are effective by the business date and that the account's type supports (a cash
account can never hold a margin-only product: refused with rule
``account_type_unsupported`` when selected, and never in force).

A change of an account's rights is approvable (``approvals_list.PERMISSIONS_CHANGE``):
:func:`permissions_change_check` validates it at submission and again at execution,
:func:`permissions_change_apply` writes it with one operation record holding the
before and after of every product it touched.  Catalogue edits are audited too.
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
from ..models import Account, AccountPermission, TradingProduct
from ..selectors.permissions import supports

CODE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
ACCOUNT_TYPES = tuple(Account.Type.values)
REASON_MAX = 400


@dataclass(frozen=True)
class PermissionChange:
    product: str  # product code
    enabled: bool
    effective_from: dt.date | None = None


def _state(p: AccountPermission | None) -> dict[str, Any]:
    if p is None:
        return {"enabled": False, "effective_from": None}
    return {
        "enabled": p.enabled,
        "effective_from": p.effective_from.isoformat() if p.effective_from else None,
    }


def get_account(number: str, *, lock: bool = False) -> Account:
    qs = Account.objects.select_related("client")
    if lock:
        qs = qs.select_for_update(of=("self",))
    account = qs.filter(number=number).first()
    if account is None:
        raise NotFound(object="account", number=number)
    return account


@dataclass
class CheckedChange:
    account: Account
    changes: list[tuple[TradingProduct, PermissionChange]]
    before: dict[str, Any]
    after: dict[str, Any]


def permissions_change_check(
    *,
    actor: User,
    account_number: str,
    changes: list[PermissionChange],
    reason: str,
    today: dt.date,
    lock: bool = False,
) -> CheckedChange:
    """Validate a change of an account's rights (at submission and at execution).

    Raises PermissionDenied, NotFound (account), ValidationFailed: ``reason``
    (required), ``changes`` (empty, repeated product, nothing changes),
    ``changes[i].product`` (unknown, inactive, ``account_type_unsupported``),
    ``changes[i].effective_from`` (``past``), ``account`` (``account_closed``)."""
    access.require(actor, perms.PERMISSION_MANAGE)
    account = get_account(account_number, lock=lock)
    errors: list[FieldError] = []
    if not reason.strip():
        errors.append(FieldError("reason", "required", _("Give a reason for the change.")))
    elif len(reason) > REASON_MAX:
        errors.append(FieldError("reason", "max_length", _("At most 400 characters.")))
    if account.status == Account.Status.CLOSED:
        errors.append(FieldError("account", "account_closed", _("A closed account has no rights.")))
    if not changes:
        errors.append(FieldError("changes", "required", _("Choose at least one product.")))
    codes = [c.product for c in changes]
    if len(set(codes)) != len(codes):
        errors.append(FieldError("changes", "unique", _("A product is named twice.")))
    products = {p.code: p for p in TradingProduct.objects.filter(code__in=codes)}
    current = {
        p.product.code: p
        for p in AccountPermission.objects.filter(
            account=account, product__code__in=codes
        ).select_related("product")
    }
    checked: list[tuple[TradingProduct, PermissionChange]] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for i, change in enumerate(changes):
        product = products.get(change.product)
        field = f"changes[{i}].product"
        if product is None:
            errors.append(FieldError(field, "unknown", _("No such trading product.")))
            continue
        if change.enabled and not product.active:
            errors.append(FieldError(field, "inactive", _("This product is withdrawn.")))
        if change.enabled and not supports(product, account.type):
            errors.append(
                FieldError(
                    field,
                    "account_type_unsupported",
                    _(
                        "A %(type)s account cannot get %(product)s: the account type does not "
                        "support it (margin products need a margin account)."
                    )
                    % {"type": account.get_type_display().lower(), "product": product.code},
                )
            )
        if change.effective_from is not None and change.effective_from < today:
            errors.append(
                FieldError(f"changes[{i}].effective_from", "past", _("The date is in the past."))
            )
        old = _state(current.get(product.code))
        new = {
            "enabled": change.enabled,
            "effective_from": change.effective_from.isoformat() if change.effective_from else None,
        }
        if old != new:
            before[product.code] = old
            after[product.code] = new
            checked.append((product, change))
    if not errors and not checked:
        errors.append(FieldError("changes", "unchanged", _("Nothing would change.")))
    if errors:
        raise ValidationFailed(errors)
    return CheckedChange(account, checked, before, after)


@transaction.atomic(durable=True)
def permissions_change(
    *,
    actor: User,
    account_number: str,
    changes: list[PermissionChange],
    reason: str,
    now: dt.datetime,
    today: dt.date,
) -> Account:
    """The change at once (a caller that has its approval already); see
    :func:`permissions_change_apply`."""
    return permissions_change_apply(
        actor=actor,
        account_number=account_number,
        changes=changes,
        reason=reason,
        approval_request_id=None,
        now=now,
        today=today,
    )


def permissions_change_apply(
    *,
    actor: User,
    account_number: str,
    changes: list[PermissionChange],
    reason: str,
    approval_request_id: str | None,
    now: dt.datetime,
    today: dt.date,
) -> Account:
    """Write a checked change inside the caller's transaction (the approval's, or
    :func:`permissions_change`): the account locked first, preconditions re-checked."""
    checked = permissions_change_check(
        actor=actor,
        account_number=account_number,
        changes=changes,
        reason=reason,
        today=today,
        lock=True,
    )
    account = checked.account
    for product, change in checked.changes:
        AccountPermission.objects.update_or_create(
            account=account,
            product=product,
            defaults={
                "enabled": change.enabled,
                "effective_from": change.effective_from,
                "reason": reason[:REASON_MAX],
                "changed_by": actor,
                "changed_at": now,
            },
        )
    record(
        actor=actor,
        action="brokerage.trading_permissions.change",
        object_type="brokerage_account",
        object_id=account.public_id,
        object_repr=account.number,
        before={"account": account.number, "permissions": checked.before},
        after={"account": account.number, "permissions": checked.after},
        reason=reason,
        approval_request_id=approval_request_id,
        now=now,
    )
    return account


# -- the catalogue ----------------------------------------------------------------------
def _product_errors(
    *, code: str | None, name: str, account_types: list[str], exists: bool
) -> list[FieldError]:
    errors = []
    if code is not None:
        if not CODE.fullmatch(code):
            errors.append(
                FieldError(
                    "code", "pattern", _("2–32 capital letters, digits or _, a letter first.")
                )
            )
        elif exists:
            errors.append(FieldError("code", "unique", _("This code is taken.")))
    if not name.strip():
        errors.append(FieldError("name", "required", _("Enter a name.")))
    if not account_types or any(t not in ACCOUNT_TYPES for t in account_types):
        errors.append(FieldError("account_types", "choice", _("Choose cash, margin or both.")))
    return errors


@transaction.atomic(durable=True)
def product_create(
    *,
    actor: User,
    code: str,
    name: str,
    name_hant: str = "",
    name_hans: str = "",
    account_types: list[str],
    sort_order: int = 100,
    now: dt.datetime,
) -> TradingProduct:
    """Add a product to the catalogue.  Raises PermissionDenied, ValidationFailed."""
    access.require(actor, perms.PRODUCT_MANAGE)
    errors = _product_errors(
        code=code,
        name=name,
        account_types=account_types,
        exists=TradingProduct.objects.filter(code=code).exists(),
    )
    if errors:
        raise ValidationFailed(errors)
    types = sorted(set(account_types))
    product = TradingProduct.objects.create(
        code=code,
        name=name.strip(),
        name_hant=name_hant.strip(),
        name_hans=name_hans.strip(),
        account_types=types,
        margin_only=types == [Account.Type.MARGIN],
        sort_order=sort_order,
        created_at=now,
    )
    record(
        actor=actor,
        action="brokerage.product.create",
        object_type="brokerage_product",
        object_id=product.public_id,
        object_repr=product.code,
        after=product_state(product),
        now=now,
    )
    return product


@transaction.atomic(durable=True)
def product_update(
    *,
    actor: User,
    code: str,
    name: str,
    name_hant: str = "",
    name_hans: str = "",
    account_types: list[str],
    active: bool,
    sort_order: int = 100,
    now: dt.datetime,
) -> TradingProduct:
    """Rename, re-scope, withdraw (``active=False``) or restore a product.  Narrowing
    its account types takes it out of force on the accounts that no longer qualify
    (:func:`rights_in_force` checks the type every time).  Raises PermissionDenied,
    NotFound, ValidationFailed."""
    access.require(actor, perms.PRODUCT_MANAGE)
    product = TradingProduct.objects.select_for_update().filter(code=code).first()
    if product is None:
        raise NotFound(object="trading_product", code=code)
    errors = _product_errors(code=None, name=name, account_types=account_types, exists=False)
    if errors:
        raise ValidationFailed(errors)
    before = product_state(product)
    types = sorted(set(account_types))
    product.name, product.name_hant, product.name_hans = name.strip(), name_hant, name_hans
    product.account_types, product.margin_only = types, types == [Account.Type.MARGIN]
    product.active, product.sort_order = active, sort_order
    product.save()
    record(
        actor=actor,
        action="brokerage.product.update",
        object_type="brokerage_product",
        object_id=product.public_id,
        object_repr=product.code,
        before=before,
        after=product_state(product),
        now=now,
    )
    return product


def product_state(p: TradingProduct) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "name_hant": p.name_hant,
        "name_hans": p.name_hans,
        "account_types": list(p.account_types or []),
        "active": p.active,
        "sort_order": p.sort_order,
    }
