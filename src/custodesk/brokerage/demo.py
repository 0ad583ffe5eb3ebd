"""The brokerage module's step of ``custodesk demo``: a believable book.

About 300 clients — Hong Kong residents (HKID, traditional Chinese names with
Cantonese romanisation, zh_TW addresses), mainland clients (resident ID card checked
by ``stdnum.cn.ric``, simplified names with pinyin, zh_CN addresses), foreign clients
(passport, Faker ``en``), a few companies (LEI) and joint clients — with cash and margin
accounts (some sub-accounts), app logins, login devices, agents, related persons and
deposits; a few frozen, a few closed; and requests waiting for a checker (an opening,
a deposit, a freeze) so the approvals inbox has work.

The existing book is loaded as a migration would load it: clients and accounts through
the services' ``*_within`` functions in one transaction (no approval per historical
opening); the deposits go through the approval engine (admin submits, admin2 approves).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from faker import Faker
from stdnum.cn import ric

from custodesk.approvals import services as approvals
from custodesk.core.modules import DemoRun
from custodesk.identity.models import User

from .approvals import ACCOUNT_FREEZE, ACCOUNT_OPEN, CASH_DEPOSIT
from .idcheck import hkid_check_char, normalise_phone
from .models import Account, Agent, Client, ClientAppLogin, ClientLoginDevice, RelatedPerson
from .services import accounts, clients

SEED = 20261204
CLIENTS = 300
APP_PASSWORD = "Demo2026pass"  # noqa: S105 - the demo's client-app password (printed in the notes)

# (traditional, simplified, Cantonese, pinyin)
SURNAMES = [
    ("陳", "陈", "CHAN", "CHEN"),
    ("李", "李", "LEE", "LI"),
    ("張", "张", "CHEUNG", "ZHANG"),
    ("黃", "黄", "WONG", "HUANG"),
    ("王", "王", "WONG", "WANG"),
    ("劉", "刘", "LAU", "LIU"),
    ("林", "林", "LAM", "LIN"),
    ("吳", "吴", "NG", "WU"),
    ("梁", "梁", "LEUNG", "LIANG"),
    ("何", "何", "HO", "HE"),
    ("鄭", "郑", "CHENG", "ZHENG"),
    ("周", "周", "CHOW", "ZHOU"),
    ("謝", "谢", "TSE", "XIE"),
    ("楊", "杨", "YEUNG", "YANG"),
    ("馬", "马", "MA", "MA"),
    ("胡", "胡", "WU", "HU"),
    ("郭", "郭", "KWOK", "GUO"),
    ("羅", "罗", "LAW", "LUO"),
    ("麥", "麦", "MAK", "MAI"),
    ("蔡", "蔡", "CHOI", "CAI"),
    ("徐", "徐", "TSUI", "XU"),
    ("趙", "赵", "CHIU", "ZHAO"),
    ("葉", "叶", "YIP", "YE"),
    ("曾", "曾", "TSANG", "ZENG"),
]
GIVEN = [
    ("嘉", "嘉", "Ka", "jia"),
    ("欣", "欣", "Yan", "xin"),
    ("偉", "伟", "Wai", "wei"),
    ("明", "明", "Ming", "ming"),
    ("家", "家", "Ka", "jia"),
    ("俊", "俊", "Chun", "jun"),
    ("志", "志", "Chi", "zhi"),
    ("文", "文", "Man", "wen"),
    ("美", "美", "Mei", "mei"),
    ("玲", "玲", "Ling", "ling"),
    ("子", "子", "Tsz", "zi"),
    ("浩", "浩", "Ho", "hao"),
    ("詠", "咏", "Wing", "yong"),
    ("思", "思", "Sze", "si"),
    ("建", "建", "Kin", "jian"),
    ("國", "国", "Kwok", "guo"),
    ("慧", "慧", "Wai", "hui"),
    ("麗", "丽", "Lai", "li"),
    ("德", "德", "Tak", "de"),
    ("華", "华", "Wah", "hua"),
    ("雅", "雅", "Nga", "ya"),
    ("婷", "婷", "Ting", "ting"),
    ("晴", "晴", "Ching", "qing"),
    ("峰", "峰", "Fung", "feng"),
]
COMPANIES = [
    ("Harbour View Trading Limited", "海景貿易有限公司", "5493001KJTIIGC8Y1R12"),
    ("Kowloon Pearl Holdings Limited", "九龍明珠控股有限公司", "529900T8BM49AURSDO55"),
    ("Lantau Capital Partners Limited", "大嶼資本合夥有限公司", "213800D1EI4B9WTWWD28"),
]
DEVICES = [
    ("iPhone 15 Pro", "iOS 18.1"),
    ("iPhone 13", "iOS 17.6"),
    ("Galaxy S24", "Android 14"),
    ("Pixel 8", "Android 15"),
    ("HUAWEI Mate 60", "HarmonyOS 4.2"),
    ("iPad Air", "iPadOS 18"),
]


def _phone(rng: random.Random, prefix: str, digits: int) -> str:
    """A number of that country's mobile plan (phonenumbers says which ranges exist)."""
    while True:
        number = f"{prefix}{rng.randrange(10**digits):0{digits}d}"
        if not normalise_phone(number)[1]:
            return number


def _hkid(rng: random.Random) -> str:
    letters = rng.choice("ACDEGHKPRVYZ") if rng.random() < 0.9 else rng.choice("XW") + "A"
    digits = f"{rng.randrange(1_000_000):06d}"
    return f"{letters}{digits}({hkid_check_char(letters, digits)})"


def _ric(rng: random.Random, born: dt.date) -> str:
    area = rng.choice(["110105", "310104", "440305", "330106", "510107", "420102"])
    body = f"{area}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _chinese(rng: random.Random, simplified: bool) -> tuple[str, str]:
    s = rng.choice(SURNAMES)
    g = rng.sample(GIVEN, 2)
    zh = (s[1] if simplified else s[0]) + "".join(x[1] if simplified else x[0] for x in g)
    if simplified:
        return zh, f"{s[3]} {g[0][3].capitalize()}{g[1][3]}"
    return zh, f"{s[2]} {g[0][2]} {g[1][2]}"


def _currencies(rng: random.Random, c: Client) -> list[str]:
    if c.nationality == "CN":
        return ["CNY", "HKD"]
    return ["HKD", "USD"] if rng.random() < 0.3 else ["HKD"]


def _person(rng: random.Random, fakes: dict[str, Faker], today: dt.date) -> dict[str, Any]:
    born = today - dt.timedelta(days=rng.randrange(20 * 365, 80 * 365))
    kind = rng.choices(["hk", "cn", "en"], weights=[60, 25, 15])[0]
    if kind == "hk":
        zh, en = _chinese(rng, simplified=False)
        data = {
            "id_type": "hkid",
            "id_number": _hkid(rng),
            "nationality": "HK",
            "phone": _phone(rng, f"+852{rng.choice('569')}", 7),
            "address": fakes["zh_TW"].address().replace("\n", " "),
        }
    elif kind == "cn":
        zh, en = _chinese(rng, simplified=True)
        data = {
            "id_type": "national_id",
            "id_number": _ric(rng, born),
            "id_issuing_place": "CN",
            "nationality": "CN",
            "phone": _phone(rng, "+86138", 8),
            "address": fakes["zh_CN"].address().replace("\n", " "),
        }
    else:
        f = fakes["en"]
        zh, en = "", f"{f.last_name().upper()} {f.first_name()}"
        country = rng.choice(["GB", "US", "AU", "CA", "SG"])
        data = {
            "id_type": "passport",
            "id_number": f"{rng.choice('ABCEKLMNP')}{rng.randrange(10**8):08d}",
            "id_issuing_place": country,
            "nationality": country,
            "phone": _phone(rng, "+4479", 8),
            "address": f.address().replace("\n", ", "),
        }
    local = en.lower().replace(" ", ".")
    return {
        "kind": "individual",
        "name_en": en,
        "name_zh": zh,
        "date_of_birth": born,
        "email": f"{local}{rng.randrange(100)}@example.com",
        "risk_level": rng.choices(["low", "medium", "high"], weights=[30, 60, 10])[0],
        **data,
    }


@transaction.atomic(durable=True)
def _book(admin: User, now: dt.datetime, rng: random.Random) -> list[Account]:
    fakes = {loc: Faker(loc) for loc in ("zh_TW", "zh_CN", "en")}
    for i, f in enumerate(fakes.values()):
        f.seed_instance(SEED + i)
    today = now.date()
    people: list[Client] = []
    for _ in range(CLIENTS):
        people.append(
            clients.client_create_within(actor=admin, now=now, **_person(rng, fakes, today))
        )
    firms = [
        clients.client_create_within(
            actor=admin,
            now=now,
            kind="corporate",
            name_en=en,
            name_zh=zh,
            id_type="lei",
            id_number=lei,
            nationality="HK",
            phone=_phone(rng, "+8522", 7),
            email=f"ops{n}@example.com",
            address=fakes["zh_TW"].address(),
            date_of_birth=dt.date(2005 + n, 3, 1),
        )
        for n, (en, zh, lei) in enumerate(COMPANIES)
    ]
    joints = []
    for n in range(5):
        a, b = people[2 * n], people[2 * n + 1]
        joints.append(
            clients.client_create_within(
                actor=admin,
                now=now,
                kind="joint",
                name_en=f"{a.name_en} & {b.name_en}",
                name_zh=f"{a.name_zh}、{b.name_zh}" if a.name_zh and b.name_zh else "",
                holders=[a.client_no, b.client_no],
                email=a.email,
            )
        )
    opened: list[Account] = []
    for c in [*people[10:], *firms, *joints]:
        kinds = ["cash"] if rng.random() < 0.7 else ["cash", "margin"]
        for t in kinds:
            plan = accounts.account_open_check(
                actor=admin,
                client_id=c.public_id,
                account_type=t,
                base_currency="HKD",
                currencies=_currencies(rng, c),
            )
            opened.append(
                accounts.account_open_within(
                    actor=admin, plan=plan, approval_request_id=None, now=now, bulk=True
                )
            )
        if c.kind == "corporate":
            main = opened[-1]
            plan = accounts.account_open_check(
                actor=admin,
                client_id=c.public_id,
                account_type=main.type,
                base_currency="HKD",
                parent_id=main.public_id,
                currencies=["HKD"],
            )
            opened.append(
                accounts.account_open_within(
                    actor=admin, plan=plan, approval_request_id=None, now=now, bulk=True
                )
            )
    _people(rng, fakes["zh_TW"], [*people[10:60], *firms], now)
    _logins(rng, people[10:210], now)
    return opened


def _people(rng: random.Random, f: Faker, owners: list[Client], now: dt.datetime) -> None:
    agents, related = [], []
    for c in owners:
        if c.kind == "corporate":
            for role, share in (
                ("director", None),
                ("beneficial_owner", "60.00"),
                ("shareholder", "40.00"),
            ):
                zh, en = _chinese(rng, simplified=False)
                related.append(
                    RelatedPerson(
                        client=c,
                        role=role,
                        name=f"{en} {zh}",
                        share_percent=share,
                        created_at=now,
                        updated_at=now,
                    )
                )
            continue
        zh, en = _chinese(rng, simplified=False)
        if rng.random() < 0.5:
            agents.append(
                Agent(
                    client=c,
                    name=f"{en} {zh}",
                    id_type="hkid",
                    id_number=_hkid(rng),
                    relationship=rng.choice(["spouse", "sibling", "parent", "son", "daughter"]),
                    scope=rng.choice(["enquiry", "trading"]),
                    valid_from=now.date() - dt.timedelta(days=rng.randrange(30, 900)),
                    created_at=now,
                    updated_at=now,
                )
            )
        related.append(
            RelatedPerson(
                client=c,
                role="emergency_contact",
                name=f"{en} {zh}",
                phone=_phone(rng, "+8529", 7),
                created_at=now,
                updated_at=now,
            )
        )
    # bulk writes of the historical book (the services audit each change made from now on)
    Agent.objects.bulk_create(agents)
    RelatedPerson.objects.bulk_create(related)


def _logins(rng: random.Random, owners: list[Client], now: dt.datetime) -> None:
    hashed = make_password(APP_PASSWORD)  # one hash for the demo's shared password
    logins = [
        ClientAppLogin(
            client=c,
            login_name=f"c{c.client_no}",
            password=hashed,
            must_change_password=False,
            created_at=now,
            last_sign_in_at=now,
        )
        for c in owners
    ]
    ClientAppLogin.objects.bulk_create(logins)
    devices = []
    for c in owners:
        for k in range(rng.randrange(1, 4)):
            model, os_name = rng.choice(DEVICES)
            devices.append(
                ClientLoginDevice(
                    client=c,
                    login_name=f"c{c.client_no}",
                    at=now - dt.timedelta(days=k * 3, minutes=rng.randrange(600)),
                    ip=f"203.0.113.{rng.randrange(1, 255)}",
                    device_model=model,
                    os=os_name,
                    app_version=rng.choice(["3.2.1", "3.3.0", "3.4.2"]),
                    result="success" if rng.random() < 0.9 else "bad_password",
                )
            )
    ClientLoginDevice.objects.bulk_create(devices)


def _approved(
    admin: User, checker: User, action: str, payload: dict[str, Any], now: dt.datetime
) -> None:
    sub = approvals.submit(actor=admin, action_type=action, payload=payload, now=now)
    if not sub.executed:
        approvals.approve(actor=checker, request_id=sub.request.public_id, now=now)


def seed(run: DemoRun) -> None:
    admin: User = run.actors["admin"]
    checker = User.objects.filter(username="admin2").first() or admin
    rng = random.Random(SEED)
    book = _book(admin, run.now, rng)
    for a in rng.sample(book, 40):
        amount = f"{rng.randrange(5, 2000) * 100}.00"
        _approved(
            admin,
            checker,
            CASH_DEPOSIT,
            {
                "account_id": str(a.public_id),
                "currency": "HKD",
                "amount": amount,
                "reference": f"FPS{rng.randrange(10**8):08d}",
            },
            run.now,
        )
    active = [a for a in book if a.parent_id is None]
    for a in rng.sample(active, 4):
        _approved(
            admin,
            checker,
            ACCOUNT_FREEZE,
            {"account_id": str(a.public_id), "reason": "AML review (demo)"},
            run.now,
        )
    # work waiting for a checker
    spare = Client.objects.filter(accounts__isnull=True, kind="individual").order_by("id").first()
    if spare is not None:
        approvals.submit(
            actor=admin,
            action_type=ACCOUNT_OPEN,
            now=run.now,
            payload={
                "client_id": str(spare.public_id),
                "account_type": "cash",
                "base_currency": "HKD",
            },
        )
    target = next(a for a in book if not Account.objects.get(pk=a.pk).frozen)
    approvals.submit(
        actor=admin,
        action_type=CASH_DEPOSIT,
        now=run.now,
        payload={
            "account_id": str(target.public_id),
            "currency": "HKD",
            "amount": "25000.00",
            "reference": "CHQ-000123",
        },
    )


def notes() -> str:
    first = ClientAppLogin.objects.order_by("id").values_list("login_name", flat=True).first()
    return (
        f"Broker back office: {Client.objects.count()} clients, "
        f"{Account.objects.count()} accounts; "
        f"client app sign-in e.g. {first or '—'} / {APP_PASSWORD} (POST /api/v1/client-app/sign-in)"
    )
