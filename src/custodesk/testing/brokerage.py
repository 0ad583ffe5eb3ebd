"""Test helpers for the brokerage module: data built through the services (never raw
inserts), and what its messages said (the outbox rows)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from custodesk.approvals import services as approvals
from custodesk.brokerage import services
from custodesk.brokerage.approvals import ACCOUNT_OPEN, CASH_DEPOSIT, CASH_WITHDRAWAL
from custodesk.brokerage.idcheck import hkid_check_char
from custodesk.brokerage.models import Account, Client
from custodesk.notify.models import Message

_serial = itertools.count(100001)


def hkid(n: int | None = None) -> str:
    digits = f"{(n if n is not None else next(_serial)) % 1_000_000:06d}"
    return f"K{digits}({hkid_check_char('K', digits)})"


def individual(actor: Any, *, now: dt.datetime, **fields: Any) -> Client:
    data: dict[str, Any] = {
        "kind": "individual",
        "name_en": "CHAN Tai Man",
        "name_zh": "陳大文",
        "id_type": "hkid",
        "id_number": hkid(),
        "nationality": "HK",
        "date_of_birth": dt.date(1980, 5, 17),
        "phone": "+85291234567",
        "email": "chan@example.com",
        "address": "1 Queen's Road Central, Hong Kong",
    }
    data.update(fields)
    return services.client_create(actor=actor, now=now, **data)


def open_account(
    maker: Any,
    checker: Any,
    client: Client,
    *,
    now: dt.datetime,
    account_type: str = "cash",
    base_currency: str = "HKD",
    **extra: Any,
) -> Account:
    sub = approvals.submit(
        actor=maker,
        action_type=ACCOUNT_OPEN,
        payload={
            "client_id": str(client.public_id),
            "account_type": account_type,
            "base_currency": base_currency,
            **extra,
        },
        now=now,
    )
    if not sub.executed:
        decision = approvals.approve(actor=checker, request_id=sub.request.public_id, now=now)
        assert decision.executed
        result = decision.result
    else:
        result = sub.result
    assert result is not None
    return Account.objects.get(public_id=result["account_id"])


def move_cash(
    maker: Any,
    checker: Any,
    account: Account,
    kind: str,
    amount: str,
    *,
    now: dt.datetime,
    currency: str = "HKD",
) -> dict[str, Any]:
    sub = approvals.submit(
        actor=maker,
        action_type=CASH_DEPOSIT if kind == "deposit" else CASH_WITHDRAWAL,
        payload={
            "account_id": str(account.public_id),
            "currency": currency,
            "amount": amount,
            "reference": "T-1",
        },
        now=now,
    )
    decision = approvals.approve(actor=checker, request_id=sub.request.public_id, now=now)
    assert decision.executed and decision.result is not None
    return decision.result


def sent(template: str) -> list[tuple[str, str]]:
    """(channel, recipient) of every message of ``template`` in the outbox."""
    return list(
        Message.objects.filter(template=template).order_by("id").values_list("channel", "recipient")
    )


def app_password(recipient: str) -> str:
    """The password of the newest app-password message to ``recipient``, read from the
    outbox before delivery (as the client's phone would receive it)."""
    m = (
        Message.objects.filter(template="brokerage.app_password", recipient=recipient)
        .order_by("-id")
        .first()
    )
    assert m is not None and m.secret_context, f"no app password sent to {recipient}"
    return str(m.secret_context["password"])
