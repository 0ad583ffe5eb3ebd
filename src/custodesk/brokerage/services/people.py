"""Agents (代理人) and related persons (關係人) of a client: create, edit, revoke or
remove — each change audited with the fields before and after, on the person's own
record (``brokerage_agent`` / ``brokerage_related_person``; the detail's operation
records tab shows them with the client's)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.identity.models import User

from .. import idcheck
from .. import permissions as perms
from ..errors import ClientNotActive, InvalidTransition
from ..models import Agent, Client, RelatedPerson
from .clients import get_client

M = TypeVar("M", Agent, RelatedPerson)

AGENT_FIELDS = ("name", "id_type", "id_number", "relationship", "scope", "valid_from", "valid_to")
RELATED_FIELDS = ("role", "name", "id_type", "id_number", "share_percent", "phone", "email")


def _state(obj: Agent | RelatedPerson, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = (
            value.isoformat()
            if isinstance(value, dt.date)
            else str(value)
            if isinstance(value, Decimal)
            else value
        )
    if isinstance(obj, Agent):
        out["status"] = obj.status
    return out


def _audit(
    obj: Agent | RelatedPerson,
    *,
    actor: User,
    action: str,
    before: Any,
    after: Any,
    reason: str,
    now: dt.datetime,
) -> None:
    kind = "brokerage_agent" if isinstance(obj, Agent) else "brokerage_related_person"
    record(
        actor=actor,
        action=action,
        object_type=kind,
        object_id=obj.public_id,
        object_repr=f"{obj.client.client_no} {obj.name}"[:200],
        before=before,
        after=after,
        reason=reason,
        now=now,
    )


def _open_client(client_id: UUID | str) -> Client:
    c = get_client(client_id, lock=True)
    if c.status == Client.Status.CLOSED:
        raise ClientNotActive(state=c.status)
    return c


def _required(data: dict[str, Any], names: tuple[str, ...], errors: list[FieldError]) -> None:
    for name in names:
        if not str(data.get(name) or "").strip():
            errors.append(FieldError(name, "required", _("This field is required.")))


def _clean_agent(data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    _required(data, ("name", "id_type", "id_number", "relationship", "scope"), errors)
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if out.get("id_type") and out["id_type"] not in idcheck.INDIVIDUAL_ID_TYPES:
        errors.append(FieldError("id_type", "choice", _("Not a valid choice.")))
    if out.get("id_type") == "hkid":
        hkid = idcheck.normalise_hkid(out.get("id_number", ""))
        if hkid is None:
            errors.append(
                FieldError("id_number", "hkid", _("Not a valid HKID number (e.g. A123456(3))."))
            )
        out["id_number"] = hkid or out.get("id_number", "")
    if out.get("scope") and out["scope"] not in Agent.Scope.values:
        errors.append(FieldError("scope", "choice", _("Not a valid choice.")))
    if out.get("valid_from") is None:
        errors.append(FieldError("valid_from", "required", _("This field is required.")))
    elif out.get("valid_to") is not None and out["valid_to"] < out["valid_from"]:
        errors.append(FieldError("valid_to", "range", _("The end is before the start.")))
    if errors:
        raise ValidationFailed(errors)
    return out


def _clean_related(data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    _required(data, ("role", "name"), errors)
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    for name in ("id_type", "id_number", "phone", "email"):
        out[name] = out.get(name) or ""
    if out.get("role") and out["role"] not in RelatedPerson.Role.values:
        errors.append(FieldError("role", "choice", _("Not a valid choice.")))
    share = out.get("share_percent")
    if share not in (None, ""):
        try:
            dec = Decimal(str(share))
        except InvalidOperation:
            dec = Decimal(-1)
        if not dec.is_finite() or dec < 0 or dec > 100 or dec != dec.quantize(Decimal("0.01")):
            errors.append(FieldError("share_percent", "range", _("0 to 100, at most 2 decimals.")))
        else:
            out["share_percent"] = dec.quantize(Decimal("0.01"))
    else:
        out["share_percent"] = None
    out["phone"], errs = idcheck.normalise_phone(out.get("phone") or "")
    errors += errs
    errors += idcheck.check_email(out.get("email") or "")
    if errors:
        raise ValidationFailed(errors)
    return out


# -- agents ------------------------------------------------------------------------
def _locked(model: type[M], public_id: UUID | str, name: str) -> M:
    """The agent or related person ``public_id``, locked for update (404 otherwise)."""
    try:
        found = (
            model.objects.select_for_update()
            .select_related("client")
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise NotFound(object=name)
    return found


def _agent(agent_id: UUID | str) -> Agent:
    return _locked(Agent, agent_id, "agent")


@transaction.atomic(durable=True)
def agent_create(
    *, actor: User, client_id: UUID | str, data: dict[str, Any], now: dt.datetime
) -> Agent:
    """Raises ValidationFailed, ClientNotActive, NotFound, PermissionDenied."""
    access.require(actor, perms.CLIENT_MANAGE)
    c = _open_client(client_id)
    clean = _clean_agent({k: data.get(k) for k in AGENT_FIELDS})
    a = Agent.objects.create(client=c, created_at=now, updated_at=now, **clean)
    _audit(
        a,
        actor=actor,
        action="brokerage.agent.create",
        before=None,
        after=_state(a, AGENT_FIELDS),
        reason="",
        now=now,
    )
    return a


@transaction.atomic(durable=True)
def agent_update(
    *, actor: User, agent_id: UUID | str, changes: dict[str, Any], reason: str, now: dt.datetime
) -> Agent:
    """Raises ValidationFailed (fields, reason), InvalidTransition (revoked), NotFound."""
    access.require(actor, perms.CLIENT_MANAGE)
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    a = _agent(agent_id)
    if a.status == Agent.Status.REVOKED:
        raise InvalidTransition(action="update", from_state="revoked", to_state="revoked")
    before = _state(a, AGENT_FIELDS)
    merged = {k: getattr(a, k) for k in AGENT_FIELDS} | {
        k: v for k, v in changes.items() if k in AGENT_FIELDS
    }
    for k, v in _clean_agent(merged).items():
        setattr(a, k, v)
    a.updated_at = now
    a.save()
    _audit(
        a,
        actor=actor,
        action="brokerage.agent.update",
        before=before,
        after=_state(a, AGENT_FIELDS),
        reason=reason.strip(),
        now=now,
    )
    return a


@transaction.atomic(durable=True)
def agent_revoke(*, actor: User, agent_id: UUID | str, reason: str, now: dt.datetime) -> Agent:
    """An agent's authority ends (kept for the record).  Raises InvalidTransition."""
    access.require(actor, perms.CLIENT_MANAGE)
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    a = _agent(agent_id)
    if a.status == Agent.Status.REVOKED:
        raise InvalidTransition(action="revoke", from_state="revoked", to_state="revoked")
    before = _state(a, AGENT_FIELDS)
    a.status, a.updated_at = Agent.Status.REVOKED, now
    if a.valid_to is None or a.valid_to > now.date():
        a.valid_to = now.date()
    a.save()
    _audit(
        a,
        actor=actor,
        action="brokerage.agent.revoke",
        before=before,
        after=_state(a, AGENT_FIELDS),
        reason=reason.strip(),
        now=now,
    )
    return a


# -- related persons ---------------------------------------------------------------
def _related(person_id: UUID | str) -> RelatedPerson:
    return _locked(RelatedPerson, person_id, "related_person")


@transaction.atomic(durable=True)
def related_create(
    *, actor: User, client_id: UUID | str, data: dict[str, Any], now: dt.datetime
) -> RelatedPerson:
    """Raises ValidationFailed, ClientNotActive, NotFound, PermissionDenied."""
    access.require(actor, perms.CLIENT_MANAGE)
    c = _open_client(client_id)
    clean = _clean_related({k: data.get(k) for k in RELATED_FIELDS})
    p = RelatedPerson.objects.create(client=c, created_at=now, updated_at=now, **clean)
    _audit(
        p,
        actor=actor,
        action="brokerage.related_person.create",
        before=None,
        after=_state(p, RELATED_FIELDS),
        reason="",
        now=now,
    )
    return p


@transaction.atomic(durable=True)
def related_update(
    *, actor: User, person_id: UUID | str, changes: dict[str, Any], reason: str, now: dt.datetime
) -> RelatedPerson:
    access.require(actor, perms.CLIENT_MANAGE)
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    p = _related(person_id)
    before = _state(p, RELATED_FIELDS)
    merged = {k: getattr(p, k) for k in RELATED_FIELDS} | {
        k: v for k, v in changes.items() if k in RELATED_FIELDS
    }
    for k, v in _clean_related(merged).items():
        setattr(p, k, v)
    p.updated_at = now
    p.save()
    _audit(
        p,
        actor=actor,
        action="brokerage.related_person.update",
        before=before,
        after=_state(p, RELATED_FIELDS),
        reason=reason.strip(),
        now=now,
    )
    return p


@transaction.atomic(durable=True)
def related_delete(*, actor: User, person_id: UUID | str, reason: str, now: dt.datetime) -> None:
    """Remove a related person; the audit row keeps what it was."""
    access.require(actor, perms.CLIENT_MANAGE)
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    p = _related(person_id)
    before = _state(p, RELATED_FIELDS)
    _audit(
        p,
        actor=actor,
        action="brokerage.related_person.delete",
        before=before,
        after=None,
        reason=reason.strip(),
        now=now,
    )
    p.delete()
