"""Trading markets (MKT-ADMIN, staff): create, edit, suspend, reactivate, publish the
service agreement.

Create, edit, suspend and reactivate are approvable actions (``markets.approvals``):
interfaces submit them with ``approvals.services.submit``; the ``*_check`` functions
here validate (at submit and again at execution) and the ``*_execute`` functions make
the change inside the approval's transaction, each with its operation record.
:func:`agreement_publish` is a direct, audited service.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.banks import selectors as banks
from custodesk.core import access
from custodesk.core.errors import FieldError, IllegalTransition, ValidationFailed
from custodesk.identity import services as identity
from custodesk.identity.models import Organisation, User
from custodesk.ledger import facade as ledger
from custodesk.notify import services as notify

from . import permissions as perms
from .models import CURRENCIES, Market, MarketLedgerAccount, ServiceAgreement
from .payloads import MarketCreate, MarketFields, MarketStatusChange, MarketUpdate
from .selectors import market_get, market_state

CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,15}")
ACCOUNT_NO_RE = re.compile(r"[0-9]{8,32}")
PHONE_RE = re.compile(r"\+?[0-9]{6,15}")
LANGUAGES = ("", "en", "zh_Hant", "zh_Hans")


# -- validation ------------------------------------------------------------------
def _field_errors(data: MarketFields, market: Market | None) -> list[FieldError]:
    errors: list[FieldError] = []
    required = _("This field is required.")
    if not data.name.strip():
        errors.append(FieldError("name", "required", required))
    if not ACCOUNT_NO_RE.fullmatch(data.summary_account_no):
        errors.append(FieldError("summary_account_no", "pattern", _("8 to 32 digits, no spaces.")))
    if not data.summary_account_name.strip():
        errors.append(FieldError("summary_account_name", "required", required))
    if data.summary_branch_code:
        if banks.branch(data.summary_branch_code) is None:
            errors.append(
                FieldError(
                    "summary_branch_code", "unknown", _("Choose a branch of the bank directory.")
                )
            )
    elif not data.summary_bank.strip():
        errors.append(FieldError("summary_bank", "required", required))
    if not data.currencies:
        errors.append(FieldError("currencies", "required", _("Choose at least one currency.")))
    elif any(c not in CURRENCIES for c in data.currencies):
        errors.append(FieldError("currencies", "choice", _("Currencies must be CNY, HKD or USD.")))
    elif len(set(data.currencies)) != len(data.currencies):
        errors.append(FieldError("currencies", "duplicate", _("A currency is named twice.")))
    elif market is not None and set(market.currencies) - set(data.currencies):
        errors.append(
            FieldError(
                "currencies",
                "cannot_remove",
                _("A currency with ledger accounts cannot be removed; add currencies only."),
            )
        )
    return errors


def _create_errors(data: MarketCreate) -> list[FieldError]:
    errors = _field_errors(data, None)
    if not CODE_RE.fullmatch(data.code):
        errors.append(
            FieldError(
                "code", "pattern", _("2–16 capital letters and digits, starting with a letter.")
            )
        )
    elif (
        Market.objects.filter(code=data.code).exists()
        or Organisation.objects.filter(code=data.code).exists()
    ):
        errors.append(FieldError("code", "unique", _("This code is already used.")))
    if not data.agreement_title.strip():
        errors.append(FieldError("agreement_title", "required", _("This field is required.")))
    if not data.agreement_body.strip():
        errors.append(FieldError("agreement_body", "required", _("This field is required.")))
    errors += _admin_errors(data)
    return errors


def _admin_errors(data: MarketCreate) -> list[FieldError]:
    """The first administrator's rules, checked at submit (identity checks them again
    when the organisation is opened)."""
    errors = []
    if not identity.USERNAME_RE.match(data.admin_username):
        errors.append(
            FieldError(
                "admin_username",
                "pattern",
                _(
                    "3–150 characters; starts with a letter; letters, digits, "
                    "'.', '@', '-' and '_' only."
                ),
            )
        )
    elif User.objects.filter(username__iexact=data.admin_username).exists():
        errors.append(FieldError("admin_username", "unique", _("This user name is taken.")))
    if not data.admin_full_name.strip():
        errors.append(FieldError("admin_full_name", "required", _("This field is required.")))
    if data.admin_email:
        try:
            validate_email(data.admin_email)
        except DjangoValidationError:
            errors.append(FieldError("admin_email", "email", _("Enter a valid e-mail address.")))
    if data.admin_phone and not PHONE_RE.fullmatch(data.admin_phone):
        errors.append(
            FieldError("admin_phone", "phone", _("Enter a phone number, e.g. +85291234567."))
        )
    if not (data.admin_email or data.admin_phone):
        errors.append(
            FieldError(
                "admin_email",
                "no_contact",
                _("Give the administrator's e-mail or mobile: the sign-in goes there."),
            )
        )
    if data.admin_language not in LANGUAGES:
        errors.append(FieldError("admin_language", "choice", _("Use zh_Hant, zh_Hans or en.")))
    return errors


def _branch_fields(data: MarketFields) -> tuple[Any, str]:
    branch = banks.branch(data.summary_branch_code) if data.summary_branch_code else None
    bank_name = data.summary_bank.strip() or (branch.name if branch else "")
    return branch, bank_name


# -- create ----------------------------------------------------------------------
def market_create_check(*, actor: User, data: MarketCreate) -> dict[str, Any]:
    """Validate a new market; returns what it will be.  Raises PermissionDenied,
    ValidationFailed (every broken rule, each naming its field)."""
    access.require(actor, perms.MARKET_MANAGE)
    errors = _create_errors(data)
    if errors:
        raise ValidationFailed(errors)
    return {
        "code": data.code,
        "name": data.name.strip(),
        "currencies": data.currencies,
        "b2b_review": data.b2b_review,
    }


def _open_accounts(
    *, actor: User | None, market: Market, currencies: list[str], now: dt.datetime
) -> list[MarketLedgerAccount]:
    owner = ledger.Owner(
        type="market", id=str(market.public_id), organisation_id=market.organisation_id
    )
    opened = []
    for currency in currencies:
        summary = ledger.open_account(
            actor=actor,
            code=f"MKT-{market.code}-SUM-{currency}",
            name=f"{market.name} summary ({currency})",
            kind=ledger.AccountKind.MARKET_SUMMARY,
            currency=currency,
            owner=owner,
            hot=True,  # every deposit and withdrawal touches it
            now=now,
        )
        suspense = ledger.open_account(
            actor=actor,
            code=f"MKT-{market.code}-SUS-{currency}",
            name=f"{market.name} suspense ({currency})",
            kind=ledger.AccountKind.MARKET_SUSPENSE,
            currency=currency,
            owner=owner,
            rule=ledger.BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS,
            now=now,
        )
        opened.append(
            MarketLedgerAccount.objects.create(
                market=market,
                currency=currency,
                summary_account_id=summary.id,
                suspense_account_id=suspense.id,
            )
        )
    return opened


def _audit(
    actor: User | None,
    action: str,
    market: Market,
    *,
    before: Any,
    after: Any,
    request_id: str | None = None,
    reason: str = "",
    now: dt.datetime,
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="market",
        object_id=market.public_id,
        object_repr=str(market),
        before=before,
        after=after,
        reason=reason,
        approval_request_id=request_id,
        organisation_id=market.organisation_id,
        organisation_code=market.code,
        now=now,
    )


def market_create_execute(
    *, actor: User | None, data: MarketCreate, approval_request_id: str | None, now: dt.datetime
) -> Market:
    """Create the market in the caller's transaction (the approval's): its organisation
    with its first administrator (credentials through the outbox only), its summary and
    suspense ledger accounts in every currency, and agreement version 1.  Raises
    ValidationFailed (rules re-checked), UsernameTaken."""
    errors = _create_errors(data)
    if errors:
        raise ValidationFailed(errors)
    org, admin, temporary = identity.organisation_open(
        actor=actor,
        code=data.code,
        name=data.name.strip(),
        kind=Organisation.Kind.MARKET,
        sign_in_factor="",  # as the staff organisation: TOTP once enrolled
        admin_username=data.admin_username,
        admin_full_name=data.admin_full_name,
        admin_email=data.admin_email,
        admin_phone=data.admin_phone,
        admin_language=data.admin_language,
        now=now,
    )
    branch, bank_name = _branch_fields(data)
    market = Market.objects.create(
        code=data.code,
        name=data.name.strip(),
        organisation=org,
        summary_account_no=data.summary_account_no,
        summary_account_name=data.summary_account_name.strip(),
        summary_bank=bank_name,
        summary_branch=branch,
        b2b_review=data.b2b_review,
        currencies=list(data.currencies),
        created_at=now,
        updated_at=now,
    )
    accounts = _open_accounts(actor=actor, market=market, currencies=data.currencies, now=now)
    market.summary_ledger_account_id = accounts[0].summary_account_id
    market.suspense_ledger_account_id = accounts[0].suspense_account_id
    market.save(update_fields=["summary_ledger_account_id", "suspense_ledger_account_id"])
    _publish(
        actor=actor,
        market=market,
        title=data.agreement_title,
        body=data.agreement_body,
        effective_from=now,
        request_id=approval_request_id,
        now=now,
    )
    _audit(
        actor,
        "market.create",
        market,
        before=None,
        after={
            **market_state(market),
            "ledger_accounts": {
                a.currency: [a.summary_account_id, a.suspense_account_id] for a in accounts
            },
            "administrator": admin.username,
        },
        request_id=approval_request_id,
        now=now,
    )
    channel, recipient = ("email", admin.email) if admin.email else ("sms", admin.phone)
    notify.enqueue(
        channel=channel,
        template="notify.credentials",
        recipient=recipient,
        language=data.admin_language or None,
        context={"username": admin.username},
        secrets={"password": temporary},
        now=now,
    )
    return market


# -- edit --------------------------------------------------------------------------
def _changes(market: Market, data: MarketFields) -> dict[str, Any]:
    branch, bank_name = _branch_fields(data)
    wanted = {
        "name": data.name.strip(),
        "summary_account_no": data.summary_account_no,
        "summary_account_name": data.summary_account_name.strip(),
        "summary_bank": bank_name,
        "summary_branch": branch,
        "b2b_review": data.b2b_review,
        "currencies": list(data.currencies),
    }
    return {k: v for k, v in wanted.items() if getattr(market, k) != v}


def market_update_check(*, actor: User, data: MarketUpdate) -> tuple[Market, dict[str, Any]]:
    """Validate an edit; returns the market and the fields that change.  Raises
    PermissionDenied, NotFound, ValidationFailed (incl. rule ``unchanged``)."""
    access.require(actor, perms.MARKET_MANAGE)
    market = market_get(actor=actor, market_id=data.market_id)
    errors = _field_errors(data, market)
    if errors:
        raise ValidationFailed(errors)
    changes = _changes(market, data)
    if not changes:
        raise ValidationFailed.single("name", "unchanged", _("Nothing would change."))
    return market, changes


def market_update_execute(
    *,
    actor: User | None,
    initiator: User,
    data: MarketUpdate,
    approval_request_id: str | None,
    now: dt.datetime,
) -> Market:
    """Apply an edit in the caller's transaction; currencies added get their ledger
    accounts.  Raises the errors of :func:`market_update_check`."""
    market = market_get(actor=initiator, market_id=data.market_id, for_update=True)
    errors = _field_errors(data, market)
    if errors:
        raise ValidationFailed(errors)
    changes = _changes(market, data)
    if not changes:
        raise ValidationFailed.single("name", "unchanged", _("Nothing would change."))
    before = market_state(market)
    added = [c for c in data.currencies if c not in market.currencies]
    for field, value in changes.items():
        setattr(market, field, value)
    market.updated_at = now
    market.save()
    opened = _open_accounts(actor=actor, market=market, currencies=added, now=now)
    _audit(
        actor,
        "market.update",
        market,
        before=before,
        after={
            **market_state(market),
            "ledger_accounts_opened": {
                a.currency: [a.summary_account_id, a.suspense_account_id] for a in opened
            },
        },
        request_id=approval_request_id,
        now=now,
    )
    return market


# -- suspend / reactivate ------------------------------------------------------------
_TRANSITIONS = {
    "suspend": (Market.Status.ACTIVE, Market.Status.SUSPENDED),
    "reactivate": (Market.Status.SUSPENDED, Market.Status.ACTIVE),
}


def market_status_check(*, actor: User, data: MarketStatusChange, verb: str) -> Market:
    """``verb``: suspend (reason required) or reactivate.  Raises PermissionDenied,
    NotFound, ValidationFailed, IllegalTransition."""
    access.require(actor, perms.MARKET_MANAGE)
    market = market_get(actor=actor, market_id=data.market_id)
    source, _target = _TRANSITIONS[verb]
    if verb == "suspend" and not data.reason.strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    if market.status != source:
        raise IllegalTransition(status=market.status, field="market_id")
    return market


def market_status_execute(
    *,
    actor: User | None,
    initiator: User,
    data: MarketStatusChange,
    verb: str,
    approval_request_id: str | None,
    now: dt.datetime,
) -> Market:
    market = market_get(actor=initiator, market_id=data.market_id, for_update=True)
    source, target = _TRANSITIONS[verb]
    if market.status != source:
        raise IllegalTransition(status=market.status, field="market_id")
    before = market_state(market)
    market.status = target
    market.status_reason = data.reason.strip()
    market.updated_at = now
    market.save(update_fields=["status", "status_reason", "updated_at"])
    _audit(
        actor,
        f"market.{verb}",
        market,
        before=before,
        after=market_state(market),
        request_id=approval_request_id,
        reason=data.reason.strip(),
        now=now,
    )
    return market


# -- service agreement -----------------------------------------------------------------
def _publish(
    *,
    actor: User | None,
    market: Market,
    title: str,
    body: str,
    effective_from: dt.datetime,
    request_id: str | None,
    now: dt.datetime,
) -> ServiceAgreement:
    version = market.agreement_version + 1
    agreement = ServiceAgreement.objects.create(
        market=market,
        version=version,
        title=title.strip(),
        body=body.strip(),
        effective_from=effective_from,
        created_at=now,
        created_by=actor,
    )
    market.agreement_version = version
    market.updated_at = now
    market.save(update_fields=["agreement_version", "updated_at"])
    record(
        actor=actor,
        action="market.agreement_publish",
        object_type="service_agreement",
        object_id=agreement.public_id,
        object_repr=f"{market.code} v{version}",
        before={"version": version - 1},
        after={"version": version, "title": agreement.title, "chars": len(agreement.body)},
        approval_request_id=request_id,
        organisation_id=market.organisation_id,
        organisation_code=market.code,
        now=now,
    )
    return agreement


@transaction.atomic(durable=True)
def agreement_publish(
    *, actor: User, market_id: Any, title: str, body: str, now: dt.datetime
) -> ServiceAgreement:
    """Publish the next version of the market's service agreement, in force from
    ``now``: members signing from now on accept it (earlier contracts keep theirs).
    Raises PermissionDenied, NotFound, ValidationFailed."""
    access.require(actor, perms.MARKET_MANAGE)
    market = market_get(actor=actor, market_id=market_id, for_update=True)
    errors = []
    if not title.strip():
        errors.append(FieldError("title", "required", _("This field is required.")))
    if not body.strip():
        errors.append(FieldError("body", "required", _("This field is required.")))
    if errors:
        raise ValidationFailed(errors)
    return _publish(
        actor=actor,
        market=market,
        title=title,
        body=body,
        effective_from=now,
        request_id=None,
        now=now,
    )
