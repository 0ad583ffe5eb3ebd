"""Test data for the members module: valid IDs, a real zip, SMS codes, delivered SMS."""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from stdnum.cn import uscc as stdnum_uscc

from custodesk.identity import services as identity
from custodesk.members import ids, services
from custodesk.notify import services as notify
from custodesk.testing.governance import delivered_code

BANK = "102"  # Industrial and Commercial Bank of China (the shipped directory)
BRANCH = "102100000011"
GOOD_CARD = "6222020200112204330"  # ends in 0: the embedded verifier says yes (Luhn ok)
BAD_CARD = "6222020200112208331"  # ends in 1: card_name_mismatch
_serial = itertools.count(1)


def uscc(n: int | None = None) -> str:
    """A valid unified social credit code whose organisation code is valid too."""
    n = next(_serial) if n is None else n
    body = f"{n:08d}"
    org = body + ids.org_code_check_digit(body)
    first17 = "91350100" + org
    return first17 + stdnum_uscc.calc_check_digit(first17)


def ric(n: int = 1, born: str = "19800101") -> str:
    body = f"110105{born}{n:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def real_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            ("business_licence.pdf", b"%PDF-1.4 licence scan\n"),
            ("legal_rep_id.jpg", b"\xff\xd8\xff\xe0 id card scan"),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 20, 9, 0, 0)), data)
    return buffer.getvalue()


def enterprise_fields(**overrides: Any) -> dict[str, str]:
    fields = {
        "id_type": "uscc",
        "id_number": uscc(),
        "company_name": "Pearl River Trading Co., Ltd.",
        "legal_representative": "Chen Wei",
        "contact_name": "Li Na",
        "mobile": "+8613800000001",
        "email": "li.na@pearl.example",
        "address": "88 Zhujiang Road, Guangzhou",
        "desired_username": "pearl.admin",
    }
    fields.update(overrides)
    return fields


def individual_fields(**overrides: Any) -> dict[str, str]:
    fields = {
        "name": "Wang Fang",
        "id_type": "cn_ric",
        "id_number": ric(),
        "bank_code": BANK,
        "branch_code": BRANCH,
        "card_number": GOOD_CARD,
        "phone": "+8613900000002",
    }
    fields.update(overrides)
    return fields


def code_for(
    phone: str, *, purpose: str = services.PURPOSE_REGISTER, clock: Any
) -> tuple[Any, str]:
    """A fresh SMS code for ``phone`` (the clock moves past the resend throttle)."""
    clock.advance(seconds=61)
    challenge = identity.verification_send(
        purpose=purpose, phone=phone, language="en", now=clock.now()
    )
    return challenge.public_id, delivered_code(phone, clock=clock)


def delivered_sms(phone: str, template: str, *, clock: Any) -> str:
    """Deliver the outbox; the body of the newest SMS of ``template`` sent to ``phone``."""
    notify.deliver_due(clock=clock)
    newest: tuple[tuple[int, str], str] | None = None
    # the embedded SMS gateway's files (notify.senders.FileSmsSender)
    for path in (Path(settings.VAR_DIR) / "outbox").glob("sms-*.txt"):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        if f"To: {phone}\n" not in head + "\n" or f"Template: {template}\n" not in head + "\n":
            continue
        order = (path.stat().st_mtime_ns, path.name)
        if newest is None or order > newest[0]:
            newest = (order, body)
    assert newest is not None, f"no {template} SMS to {phone}"
    return newest[1]


def credentials(text: str) -> tuple[str, str]:
    found = re.search(r"login name is (\S+) and your temporary password is (\S+?)\. ", text)
    assert found, text
    return found.group(1), found.group(2)


def ensure_directory() -> None:
    """The shipped directory's two banks and branches the tests use: a data migration
    loads them, but a transactional test's flush empties the tables."""
    from custodesk.banks.models import Bank, Branch

    for code, name, hans, branch in (
        ("102", "Industrial and Commercial Bank of China", "中国工商银行", BRANCH),
        ("103", "Agricultural Bank of China", "中国农业银行", "103100000019"),
    ):
        bank, _ = Bank.objects.get_or_create(
            code=code, defaults={"name": name, "name_hant": hans, "name_hans": hans, "region": "CN"}
        )
        Branch.objects.get_or_create(
            code=branch,
            defaults={
                "bank": bank,
                "name": f"{hans}北京分行",
                "province": "北京市",
                "city": "北京市",
            },
        )
