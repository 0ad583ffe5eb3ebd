"""A small, known book of broker clients and accounts for the account-list tests.

The rows are written directly (bulk), not through the opening services: what is under
test here is reading them (filters, sort, pages, export), and the opening services
(brokerage-core) are tested on their own; thousands of approved openings would make
these tests slow for nothing.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from custodesk.brokerage.models import Account, AccountFlag, AccountFlagAssignment, Client

# number, client_no, name_en, name_zh, kind, client status, id, phone, type, status,
# frozen, opened
ROWS = [
    (
        "100000001",
        "C001",
        "Chan Tai Man",
        "陳大文",
        "individual",
        "active",
        "A1234563",
        "+85251234567",
        "cash",
        "active",
        False,
        dt.date(2020, 1, 15),
    ),
    (
        "100000002",
        "C001",
        "Chan Tai Man",
        "陳大文",
        "individual",
        "active",
        "A1234563",
        "+85251234567",
        "margin",
        "active",
        False,
        dt.date(2021, 6, 1),
    ),
    (
        "100000003",
        "C002",
        "Wong Siu Ming",
        "黃小明",
        "individual",
        "frozen",
        "B7654321",
        "+85262345678",
        "cash",
        "active",
        True,
        dt.date(2019, 3, 9),
    ),
    (
        "100000004",
        "C003",
        "Lee Ka Yan",
        "李家欣",
        "individual",
        "active",
        "P8888888",
        "+8613812345678",
        "margin",
        "closed",
        False,
        dt.date(2018, 11, 30),
    ),
    (
        "200000001",
        "C004",
        "Acme Trading Limited",
        "艾克美貿易有限公司",
        "corporate",
        "active",
        "5493001KJTIIGC8Y1R12",
        "+85223456789",
        "cash",
        "active",
        False,
        dt.date(2022, 2, 2),
    ),
    (
        "200000002",
        "C005",
        "Chan & Wong (Joint)",
        "陳黃聯名",
        "joint",
        "closed",
        "",
        "+85291112222",
        "cash",
        "closed",
        False,
        dt.date(2017, 7, 7),
    ),
]


def ensure_catalogue() -> None:
    """The catalogue the data migration seeds (a transactional test flushes it)."""
    from django.apps import apps

    migration = importlib.import_module("custodesk.brokerage.migrations.0102_trading_products")
    migration.forward(apps, None)


def build(now: dt.datetime) -> dict[str, Any]:
    ensure_catalogue()
    clients: dict[str, Client] = {}
    for r in ROWS:
        if r[1] not in clients:
            clients[r[1]] = Client.objects.create(
                client_no=r[1],
                kind=r[4],
                name_en=r[2],
                name_zh=r[3],
                status=r[5],
                id_type="hkid" if r[6][:1] in "AB" else "passport",
                id_number=r[6],
                phone=r[7],
                created_at=now,
                updated_at=now,
            )
    accounts = {}
    for r in ROWS:
        accounts[r[0]] = Account.objects.create(
            number=r[0],
            client=clients[r[1]],
            type=r[8],
            base_currency="HKD",
            status=r[9],
            frozen=r[10],
            opened_on=r[11],
            created_at=now,
        )
    vip = AccountFlag.objects.create(
        code="VIP", name="VIP", name_hant="貴賓", name_hans="贵宾", colour="#aa0000", created_at=now
    )
    esop = AccountFlag.objects.create(
        code="ESOP",
        name="ESOP",
        name_hant="僱員",
        name_hans="雇员",
        colour="#00aa00",
        created_at=now,
    )
    for number, flag in (("100000001", vip), ("100000003", vip), ("100000002", esop)):
        AccountFlagAssignment.objects.create(account=accounts[number], flag=flag, assigned_at=now)
    return {"clients": clients, "accounts": accounts, "flags": {"VIP": vip, "ESOP": esop}}


def bulk(n: int, now: dt.datetime, *, start: int = 300000001) -> None:
    """``n`` more accounts (every 3rd margin, every 5th closed) of ``n`` new clients."""
    Client.objects.bulk_create(
        Client(
            client_no=f"K{i:07d}",
            kind="individual",
            name_en=f"Bulk Client {i}",
            name_zh="批量客戶",
            created_at=now,
            updated_at=now,
        )
        for i in range(n)
    )
    ids = dict(Client.objects.filter(client_no__startswith="K").values_list("client_no", "id"))
    Account.objects.bulk_create(
        Account(
            number=str(start + i),
            client_id=ids[f"K{i:07d}"],
            type="margin" if i % 3 == 0 else "cash",
            base_currency="HKD",
            status="closed" if i % 5 == 0 else "active",
            opened_on=dt.date(2023, 1, 1),
            created_at=now,
        )
        for i in range(n)
    )
