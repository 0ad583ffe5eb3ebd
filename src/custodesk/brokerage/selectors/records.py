"""Records query (REC-QUERY, 記錄查詢): operation records across all clients and
accounts, and login-device records of clients (the client app) and of staff.

Operation records are the audit log's rows about the broker's objects (object types
``brokerage_*``): who, what, which account or client, when, from which IP, before and
after.  Filters: person, account (its rows and its client's), client, action, date
range, IP.  Newest first, keyset-paginated on the sequence / id (``after``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from custodesk.audit.models import AuditEntry
from custodesk.core import access
from custodesk.core.errors import FieldError, ValidationFailed
from custodesk.identity.models import LoginDevice

from .. import permissions_list as perms
from ..models import Account, Client, ClientLoginDevice

PAGE = 50
OBJECT_PREFIX = "brokerage_"
TEXT = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,100}")


def _bad(name: str, rule: str, message: Any) -> ValidationFailed:
    return ValidationFailed([FieldError(name, rule, str(message))])


def _text(params: dict[str, str], name: str) -> str | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if not TEXT.fullmatch(value):
        raise _bad(name, "pattern", _("At most 100 characters, no control characters."))
    return value


def _day(params: dict[str, str], name: str) -> dt.date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise _bad(name, "date", _("Enter a date as YYYY-MM-DD.")) from None
    if not 1900 <= day.year <= 9000:
        raise _bad(name, "date", _("Enter a date as YYYY-MM-DD."))
    return day


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _dates(qs: QuerySet[Any], params: dict[str, str]) -> QuerySet[Any]:
    lo, hi = _day(params, "date_from"), _day(params, "date_to")
    if lo and hi and hi < lo:
        raise _bad("date_to", "after_date_from", _("Before the start date."))
    if lo:
        qs = qs.filter(at__gte=_start(lo))
    if hi:
        qs = qs.filter(at__lt=_start(hi + dt.timedelta(days=1)))
    return qs


def _after(params: dict[str, str]) -> int | None:
    value = (params.get("after") or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise _bad("after", "cursor", _("Not a cursor of this list."))
    return int(value)


def _object_ids(params: dict[str, str]) -> list[str] | None:
    """The audit object ids of an account (and its client) or of a client."""
    number, client_no = _text(params, "account"), _text(params, "client")
    if number is None and client_no is None:
        return None
    ids: list[str] = []
    if number is not None:
        a = Account.objects.select_related("client").filter(number=number).first()
        if a is not None:
            ids += [str(a.public_id), str(a.client.public_id)]
    if client_no is not None:
        c = Client.objects.filter(client_no=client_no).first()
        if c is not None:
            ids.append(str(c.public_id))
            ids += [str(p) for p in c.accounts.values_list("public_id", flat=True)]
    return ids


def operations(*, actor: access.Principal, params: dict[str, str]) -> QuerySet[AuditEntry]:
    """Operation records on the broker's objects, newest first.  Raises
    PermissionDenied, ValidationFailed (a bad filter, named)."""
    access.require(actor, perms.RECORDS_VIEW)
    qs = AuditEntry.objects.filter(object_type__startswith=OBJECT_PREFIX)
    if (person := _text(params, "person")) is not None:
        qs = qs.filter(actor_username__iexact=person)
    if (action := _text(params, "action")) is not None:
        qs = qs.filter(action__startswith=action)
    if (ip := _text(params, "ip")) is not None:
        qs = qs.filter(ip__startswith=ip)
    ids = _object_ids(params)
    if ids is not None:
        qs = qs.filter(object_id__in=ids)
    qs = _dates(qs, params)
    if (after := _after(params)) is not None:
        qs = qs.filter(seq__lt=after)
    return qs.order_by("-seq")


def operation_row(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "person": e.actor_username,
        "action": e.action,
        "object_type": e.object_type,
        "object": e.object_repr,
        "ip": e.ip,
        "channel": e.channel,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
        "approval_request_id": e.approval_request_id,
    }


@dataclass
class RecordPage:
    rows: list[dict[str, Any]]
    next_after: int | None


def operation_page(*, actor: access.Principal, params: dict[str, str]) -> RecordPage:
    entries = list(operations(actor=actor, params=params)[: PAGE + 1])
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    return RecordPage(
        [operation_row(e) for e in entries], entries[-1].seq if more and entries else None
    )


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


OPERATION_COLUMNS = [
    "seq",
    "at",
    "person",
    "action",
    "object_type",
    "object",
    "ip",
    "channel",
    "before",
    "after",
    "reason",
    "approval_request_id",
]


def operation_export(*, actor: access.Principal, params: dict[str, str]) -> Iterator[list[Any]]:
    for e in operations(actor=actor, params=params).iterator(chunk_size=2000):
        r = operation_row(e)
        r["at"] = timezone.localtime(e.at).isoformat()
        r["before"], r["after"] = _json(e.before), _json(e.after)
        yield [r[c] for c in OPERATION_COLUMNS]


# -- login devices --------------------------------------------------------------------
KINDS = ("client", "staff")


def _kind(params: dict[str, str]) -> str:
    kind = (params.get("kind") or "client").strip()
    if kind not in KINDS:
        raise _bad("kind", "choice", _("Not one of the choices."))
    return kind


def devices(*, actor: access.Principal, params: dict[str, str]) -> QuerySet[Any]:
    """Login-device records of clients (``kind=client``) or staff (``kind=staff``),
    newest first.  Filters: person (login / user name), account, ip, result, dates."""
    access.require(actor, perms.RECORDS_VIEW)
    kind = _kind(params)
    person, ip, result = _text(params, "person"), _text(params, "ip"), _text(params, "result")
    qs: QuerySet[Any]
    if kind == "client":
        qs = ClientLoginDevice.objects.select_related("client")
        if person is not None:
            qs = qs.filter(login_name__iexact=person)
        number = _text(params, "account")
        if number is not None:
            client_id = Account.objects.filter(number=number).values_list("client_id", flat=True)
            qs = qs.filter(client_id__in=list(client_id))
        choices = ClientLoginDevice.Result.values
    else:
        qs = LoginDevice.objects.all()
        if person is not None:
            qs = qs.filter(username__iexact=person)
        choices = LoginDevice.Result.values
    if result is not None:
        if result not in choices:
            raise _bad("result", "choice", _("Not one of the choices."))
        qs = qs.filter(result=result)
    if ip is not None:
        qs = qs.filter(ip__startswith=ip)
    qs = _dates(qs, params)
    if (after := _after(params)) is not None:
        qs = qs.filter(pk__lt=after)
    return qs.order_by("-pk")


def device_row(d: Any) -> dict[str, Any]:
    if isinstance(d, ClientLoginDevice):
        return {
            "id": d.pk,
            "kind": "client",
            "at": d.at,
            "person": d.login_name,
            "client_no": d.client.client_no if d.client else "",
            "client_name": d.client.name_en if d.client else "",
            "ip": d.ip,
            "device": " ".join(x for x in (d.device_model, d.os) if x),
            "app_version": d.app_version,
            "result": d.result,
            "result_label": d.get_result_display(),
        }
    return {
        "id": d.pk,
        "kind": "staff",
        "at": d.at,
        "person": d.username,
        "client_no": "",
        "client_name": "",
        "ip": d.ip,
        "device": d.user_agent[:120],
        "app_version": d.channel,
        "result": d.result,
        "result_label": d.get_result_display(),
    }


def device_page(*, actor: access.Principal, params: dict[str, str]) -> RecordPage:
    items = list(devices(actor=actor, params=params)[: PAGE + 1])
    more = len(items) > PAGE
    items = items[:PAGE]
    return RecordPage([device_row(d) for d in items], items[-1].pk if more and items else None)


DEVICE_COLUMNS = [
    "kind",
    "at",
    "person",
    "client_no",
    "client_name",
    "ip",
    "device",
    "app_version",
    "result",
]


def device_export(*, actor: access.Principal, params: dict[str, str]) -> Iterator[list[Any]]:
    for d in devices(actor=actor, params=params).iterator(chunk_size=2000):
        r = device_row(d)
        r["at"] = timezone.localtime(d.at).isoformat()
        yield [r[c] for c in DEVICE_COLUMNS]
