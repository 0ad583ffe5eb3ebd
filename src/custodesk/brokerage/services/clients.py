"""Clients: register (individual, corporate, joint) and edit, validated and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.identity.models import User

from .. import idcheck
from .. import permissions as perms
from ..errors import ClientNotActive, ReregistrationBlocked
from ..models import Client, JointHolder
from . import numbers

EDITABLE = (
    "name_en",
    "name_zh",
    "id_type",
    "id_number",
    "id_issuing_place",
    "nationality",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "risk_level",
    "category",
)
MIN_AGE = 18


def client_state(c: Client) -> dict[str, Any]:
    """What an audit row keeps of a client (no secrets)."""
    return {
        "client_no": c.client_no,
        "kind": c.kind,
        "category": c.category,
        "name_en": c.name_en,
        "name_zh": c.name_zh,
        "id_type": c.id_type,
        "id_number": c.id_number,
        "id_issuing_place": c.id_issuing_place,
        "nationality": c.nationality,
        "date_of_birth": c.date_of_birth.isoformat() if c.date_of_birth else None,
        "phone": c.phone,
        "email": c.email,
        "address": c.address,
        "risk_level": c.risk_level,
        "status": c.status,
    }


def audit_client(
    c: Client,
    *,
    actor: User | None,
    action: str,
    now: dt.datetime,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    approval_request_id: str | None = None,
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="brokerage_client",
        object_id=c.public_id,
        object_repr=str(c)[:200],
        before=before,
        after=after,
        reason=reason,
        approval_request_id=approval_request_id,
        now=now,
    )


def get_client(client_id: UUID | str, *, lock: bool = False) -> Client:
    qs = Client.objects.select_for_update() if lock else Client.objects.all()
    try:
        c = qs.filter(public_id=client_id).first()
    except (ValueError, TypeError):
        c = None
    if c is None:
        raise NotFound(object="client")
    return c


def _clean(kind: str, data: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """The client's fields normalised, or ValidationFailed naming every broken rule."""
    errors: list[FieldError] = []
    out = dict(data)
    if kind not in Client.Kind.values:
        raise ValidationFailed.single("kind", "choice", _("Not a valid choice."))
    for name in ("name_en", "name_zh", "address"):
        out[name] = (out.get(name) or "").strip()
    if not out["name_en"]:
        errors.append(FieldError("name_en", "required", _("This field is required.")))
    if out.get("risk_level", "medium") not in Client.RiskLevel.values:
        errors.append(FieldError("risk_level", "choice", _("Not a valid choice.")))
    if out.get("category", "retail") not in Client.Category.values:
        errors.append(FieldError("category", "choice", _("Not a valid choice.")))
    out["nationality"], errs = idcheck.check_country(out.get("nationality", ""), "nationality")
    errors += errs
    out["phone"], errs = idcheck.normalise_phone(out.get("phone", ""))
    errors += errs
    out["email"] = (out.get("email") or "").strip()
    errors += idcheck.check_email(out["email"])
    if kind == "joint":
        for name in ("id_type", "id_number", "id_issuing_place"):
            if out.get(name):
                errors.append(
                    FieldError(name, "joint", _("A joint client's ID documents are its holders'."))
                )
            out[name] = ""
    else:
        number, place, errs = idcheck.check_id(
            kind=kind,
            id_type=out.get("id_type", ""),
            id_number=out.get("id_number", ""),
            issuing_place=out.get("id_issuing_place", ""),
            nationality=out["nationality"],
        )
        out["id_number"], out["id_issuing_place"] = number, place
        errors += errs
    born = out.get("date_of_birth")
    if kind == "individual":
        if born is None:
            errors.append(FieldError("date_of_birth", "required", _("This field is required.")))
        elif born > today or idcheck.age_on(born, today) > 130:
            errors.append(FieldError("date_of_birth", "range", _("Not a plausible date of birth.")))
        elif idcheck.age_on(born, today) < MIN_AGE:
            errors.append(
                FieldError("date_of_birth", "min_age", _("A client must be 18 or older."))
            )
    elif born is not None and born > today:
        errors.append(FieldError("date_of_birth", "range", _("This date is in the future.")))
    if kind != "joint" and not out["phone"] and not out["email"]:
        errors.append(FieldError("phone", "contact", _("Give a phone number or an e-mail.")))
    if errors:
        raise ValidationFailed(errors)
    return out


def _check_id_free(
    id_type: str, id_number: str, *, today: dt.date, exclude: int | None = None
) -> None:
    if not id_number:
        return
    same = Client.objects.filter(id_type=id_type, id_number=id_number)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exclude(status=Client.Status.CLOSED).exists():
        raise ValidationFailed.single(
            "id_number", "unique", _("A client with this ID document is already registered.")
        )
    blocked = (
        same.filter(status=Client.Status.CLOSED, reregister_from__gt=today)
        .order_by("-reregister_from")
        .values_list("reregister_from", flat=True)
        .first()
    )
    if blocked is not None:
        raise ReregistrationBlocked(field="id_number", reregister_from=blocked.isoformat())


def _holders(numbers: Sequence[str]) -> list[Client]:
    if len(numbers) < 2 or len(set(numbers)) != len(numbers):
        raise ValidationFailed.single(
            "holders", "min_items", _("A joint client has two or more different holders.")
        )
    found = {c.client_no: c for c in Client.objects.filter(client_no__in=list(numbers))}
    errors = []
    for i, number in enumerate(numbers):
        c = found.get(number)
        if c is None:
            errors.append(FieldError(f"holders.{i}", "not_found", _("No such client.")))
        elif c.kind != Client.Kind.INDIVIDUAL or c.status != Client.Status.ACTIVE:
            errors.append(
                FieldError(f"holders.{i}", "holder", _("A holder is an active individual client."))
            )
    if errors:
        raise ValidationFailed(errors)
    return [found[n] for n in numbers]


@transaction.atomic(durable=True)
def client_create(
    *,
    actor: User,
    kind: str,
    name_en: str,
    name_zh: str = "",
    id_type: str = "",
    id_number: str = "",
    id_issuing_place: str = "",
    nationality: str = "",
    date_of_birth: dt.date | None = None,
    phone: str = "",
    email: str = "",
    address: str = "",
    risk_level: str = "medium",
    category: str = "retail",
    holders: Sequence[str] = (),
    now: dt.datetime,
) -> Client:
    """Register a client.  A joint client names its holders by client number (active
    individual clients, the first is the primary holder) and has no ID document of its
    own.

    Raises ValidationFailed (each broken rule, e.g. ``id_number``/``hkid``,
    ``id_number``/``unique``), ReregistrationBlocked (closed normally less than three
    months ago), PermissionDenied."""
    return client_create_within(
        actor=actor,
        now=now,
        kind=kind,
        name_en=name_en,
        name_zh=name_zh,
        id_type=id_type,
        id_number=id_number,
        id_issuing_place=id_issuing_place,
        nationality=nationality,
        date_of_birth=date_of_birth,
        phone=phone,
        email=email,
        address=address,
        risk_level=risk_level,
        category=category,
        holders=holders,
    )


def client_create_within(*, actor: User, now: dt.datetime, **fields: Any) -> Client:
    """:func:`client_create` in the caller's transaction (bulk loads, the demo)."""
    access.require(actor, perms.CLIENT_MANAGE)
    kind = fields.pop("kind")
    numbers_given = [str(n).strip() for n in fields.pop("holders", ()) or ()]
    data = _clean(kind, fields, today=now.date())
    if kind != Client.Kind.JOINT and numbers_given:
        raise ValidationFailed.single("holders", "joint", _("Only a joint client has holders."))
    holders = _holders(numbers_given) if kind == Client.Kind.JOINT else []
    _check_id_free(data["id_type"], data["id_number"], today=now.date())
    (client_no,) = numbers.reserve(numbers.CLIENT)
    c = Client(kind=kind, client_no=client_no, created_at=now, updated_at=now, **data)
    try:
        with transaction.atomic():
            c.save(force_insert=True)
    except IntegrityError:  # registered concurrently with the same document
        raise ValidationFailed.single(
            "id_number", "unique", _("A client with this ID document is already registered.")
        ) from None
    JointHolder.objects.bulk_create(
        [JointHolder(joint=c, holder=h, position=i) for i, h in enumerate(holders, start=1)]
    )
    after = client_state(c) | {"holders": [h.client_no for h in holders]}
    audit_client(c, actor=actor, action="brokerage.client.create", after=after, now=now)
    return c


@transaction.atomic(durable=True)
def client_update(
    *, actor: User, client_id: UUID | str, changes: dict[str, Any], reason: str, now: dt.datetime
) -> Client:
    """Edit a client's data (fields of :data:`EDITABLE`); a reason is required (the
    manual's "remark"), the audit row keeps the fields before and after.

    Raises ValidationFailed, NotFound, ClientNotActive (closed), PermissionDenied."""
    access.require(actor, perms.CLIENT_MANAGE)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(
            [FieldError(name, "unknown", _("This field cannot be changed.")) for name in unknown]
        )
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    c = get_client(client_id, lock=True)
    if c.status == Client.Status.CLOSED:
        raise ClientNotActive(state=c.status)
    before = client_state(c)
    current = {name: getattr(c, name) for name in EDITABLE}
    data = _clean(c.kind, current | changes, today=now.date())
    if (data["id_type"], data["id_number"]) != (c.id_type, c.id_number):
        _check_id_free(data["id_type"], data["id_number"], today=now.date(), exclude=c.pk)
    for name in EDITABLE:
        setattr(c, name, data[name])
    c.updated_at = now
    c.save()
    after = client_state(c)
    changed = {k for k in after if after[k] != before[k]}
    audit_client(
        c,
        actor=actor,
        action="brokerage.client.update",
        before={k: before[k] for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
        reason=reason.strip(),
        now=now,
    )
    return c
