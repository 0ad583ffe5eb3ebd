"""The kinds of work order, each declared once (:func:`register`): its code and label,
its target (a client or accounts of a client), its form fields and their validation,
the state its target must be in (checked at submission and again at approval), its
execution through the brokerage services, its default approval policy and the notice
the client gets.  Adding a kind = one ``register(Kind(...))`` here (or in
``kinds_data.py``); the approval action ``workorders.<code>``, the centre's tab, the
form, the API and the import accept it without further change.

No kind changes a client or an account itself: freezing, unfreezing, closing, password
resets and data edits are the brokerage services' (``custodesk.brokerage.services``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from custodesk.approvals.registry import DefaultLevel
from custodesk.core.errors import FieldError, ValidationFailed

if TYPE_CHECKING:
    from custodesk.brokerage.models import Account, Client
    from custodesk.identity.models import Organisation, User

    from .models import WorkOrder

CLIENT = "client"
ACCOUNTS = "accounts"
PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class FormField:
    """One field of a kind's form (kept in ``WorkOrder.fields``).

    ``type``: ``choice`` (one of ``choices``), ``bool``, ``phone`` (E.164), ``email``,
    ``emails`` (a list, 10 at most), ``text``."""

    name: str
    label: str | Promise
    type: str = "text"
    required: bool = False
    choices: tuple[tuple[str, str | Promise], ...] = ()
    default: Any = None
    max_length: int = 200


@dataclass
class Execution:
    """What a kind's ``execute`` gets: the order, who executes it (the last approver,
    or the creator when the flow approved it automatically), the time, the reason the
    brokerage services record (the order number first: the audit rows name the order),
    and the approval request's id."""

    order: WorkOrder
    client: Client
    accounts: list[Account]
    actor: User
    now: dt.datetime
    reason: str
    approval_request_id: str | None
    messages: list[Any] = field(default_factory=list)  # outbox messages it caused


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    group: str  # "security", "password", "data", "feedback": the centre's business category
    target: str  # CLIENT or ACCOUNTS
    execute: Callable[[Execution], dict[str, Any]]
    # check(order, client, accounts) -> None; raises a DomainError when the target's
    # state does not allow the kind (at submission and at approval)
    check: Callable[[Client, list[Account], dict[str, Any]], None] = lambda c, a, f: None
    fields: tuple[FormField, ...] = ()
    # extra validation of the cleaned fields (after the per-field rules)
    validate: Callable[[dict[str, Any]], list[FieldError]] = lambda f: []
    # the remark is required (security actions: the brokerage services need a reason)
    reason_required: bool = True
    # a data change: the remark and the attachments may not both be empty
    data_change: bool = False
    # run in the approving transaction (the brokerage's approvable ``*_within`` writes):
    # a failure refuses the approval; otherwise right after it commits (durable services)
    in_transaction: bool = False
    # no flow configured: None → the default flow / the administrators; [] → automatic
    default_levels: Callable[[Organisation], list[DefaultLevel] | None] = lambda org: None
    # the outbox template of the notice the client gets once executed ("" = none; a
    # kind with a ``notify`` field sends it only when asked)
    notice: str = ""
    help: str | Promise = ""

    @property
    def action_type(self) -> str:
        return f"workorders.{self.code}"


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.code in _kinds and _kinds[kind.code] is not kind:
        raise ValueError(f"work-order kind {kind.code!r} registered twice")
    _kinds[kind.code] = kind
    return kind


def get(code: str) -> Kind | None:
    return _kinds.get(code)


GROUPS = ("security", "password", "data", "feedback")


def all_kinds() -> list[Kind]:
    """In the centre's order: security, password, data kinds, feedback."""
    rank = {g: i for i, g in enumerate(GROUPS)}
    return sorted(_kinds.values(), key=lambda k: rank.get(k.group, len(GROUPS)))


def always_reviewed(org: Organisation) -> list[DefaultLevel]:
    """Reviewed by an administrator other than the creator unless a flow says otherwise."""
    return [DefaultLevel(role_codes=("admin",), name="review")]


def automatic(org: Organisation) -> list[DefaultLevel]:
    return []


# -- field validation --------------------------------------------------------------
def _clean_one(f: FormField, raw: Any) -> tuple[Any, FieldError | None]:
    path = f"fields.{f.name}"
    if f.type == "bool":
        if raw in (None, ""):
            return bool(f.default), None
        if isinstance(raw, bool):
            return raw, None
        if str(raw).lower() in ("1", "true", "yes", "on"):
            return True, None
        if str(raw).lower() in ("0", "false", "no", "off"):
            return False, None
        return None, FieldError(path, "boolean", str(_("Yes or no.")))
    if f.type == "emails":
        items = raw if isinstance(raw, list) else re.split(r"[,;\s]+", str(raw or ""))
        out = []
        for item in items:
            text = str(item).strip().lower()
            if not text:
                continue
            try:
                validate_email(text)
            except ValidationError:
                return None, FieldError(path, "email", str(_("Not an e-mail address.")))
            if text not in out:
                out.append(text)
        if len(out) > 10:
            return None, FieldError(path, "max_items", str(_("10 at most.")))
        if f.required and not out:
            return None, FieldError(path, "required", str(_("This field is required.")))
        return out, None
    text = "" if raw is None else str(raw).strip()
    if not text:
        if f.required:
            return None, FieldError(path, "required", str(_("This field is required.")))
        return ("" if f.default is None else f.default), None
    if len(text) > f.max_length:
        return None, FieldError(path, "max_length", str(_("Too long.")))
    if f.type == "choice" and text not in {c for c, _label in f.choices}:
        return None, FieldError(path, "choice", str(_("Not a valid choice.")))
    if f.type == "phone":
        text = re.sub(r"[\s-]", "", text)
        try:
            parsed = phonenumbers.parse(text, None) if PHONE_RE.match(text) else None
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            return None, FieldError(
                path, "phone", str(_("An international number such as +85291234567."))
            )
        text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if f.type == "email":
        text = text.lower()
        try:
            validate_email(text)
        except ValidationError:
            return None, FieldError(path, "email", str(_("Not an e-mail address.")))
    return text, None


def clean_fields(kind: Kind, raw: dict[str, Any] | None) -> dict[str, Any]:
    """The kind's form values normalised, or ValidationFailed naming each broken rule
    (``fields.<name>``); unknown names are refused."""
    raw = dict(raw or {})
    errors: list[FieldError] = []
    known = {f.name for f in kind.fields}
    for name in sorted(set(raw) - known):
        errors.append(FieldError(f"fields.{name}", "unknown", str(_("Not a field of this kind."))))
    out: dict[str, Any] = {}
    for f in kind.fields:
        value, err = _clean_one(f, raw.get(f.name))
        if err is not None:
            errors.append(err)
        else:
            out[f.name] = value
    if not errors:
        errors += kind.validate(out)
    if errors:
        raise ValidationFailed(errors)
    return out


def clean_reason(kind: Kind, reason: str | None, *, has_attachments: bool) -> str:
    text = (reason or "").strip()
    if len(text) > 400:
        raise ValidationFailed.single("reason", "max_length", _("400 characters at most."))
    if kind.data_change and not text and not has_attachments:
        raise ValidationFailed.single(
            "reason", "remark_or_attachment", _("Give a remark or attach a file.")
        )
    if kind.reason_required and not kind.data_change and not text:
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    return text


# the kinds themselves (they import the brokerage services)
from . import kinds_data, kinds_security  # noqa: E402, F401
