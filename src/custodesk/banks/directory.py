"""Loading the shipped directory (``data/directory.json``) and the keyword grams.

Used by the data migration (with the historical models) and by tests; idempotent:
rows are matched by code, changed fields updated, nothing deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import connection

DATA_FILE = Path(__file__).with_name("data") / "directory.json"
GRAM_BATCH = 1000  # rows per INSERT (2,000 parameters: within SQLite's limit)


def grams(text: str) -> set[str]:
    """Every character and every pair of adjacent characters (spaces dropped)."""
    s = "".join(text.split())
    return set(s) | {s[i : i + 2] for i in range(len(s) - 1)}


def keyword_grams(keyword: str) -> set[str]:
    """What a name containing ``keyword`` must have among its grams."""
    s = "".join(keyword.split())
    if len(s) <= 1:
        return set(s)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def read(path: Path = DATA_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load(bank_model: Any, branch_model: Any, gram_model: Any, data: dict[str, Any]) -> int:
    """Insert or update every bank and branch of ``data``; returns branches written."""
    banks = {}
    for order, b in enumerate(data["banks"]):
        bank, _ = bank_model.objects.update_or_create(
            code=b["code"],
            defaults={
                "name": b["name"],
                "name_hant": b["name_hant"],
                "name_hans": b["name_hans"],
                "swift": b.get("swift", ""),
                "region": b["region"],
                "sort_order": order,
            },
        )
        banks[bank.code] = bank
    existing = {b.code: b for b in branch_model.objects.all()}
    fields = ("bank_id", "name", "province", "city", "address")
    new, changed = [], []
    for br in data["branches"]:
        values = {
            "bank_id": banks[br["bank"]].pk,
            "name": br["name"],
            "province": br["province"],
            "city": br["city"],
            "address": br.get("address", ""),
        }
        branch = existing.get(br["code"])
        if branch is None:
            new.append(branch_model(code=br["code"], **values))
        elif any(getattr(branch, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(branch, k, v)
            changed.append(branch)
    branch_model.objects.bulk_create(new, batch_size=500)
    branch_model.objects.bulk_update(changed, fields, batch_size=500)
    codes = [b.code for b in new] + [b.code for b in changed]
    written = list(branch_model.objects.filter(code__in=codes).values_list("pk", "name"))
    gram_model.objects.filter(branch_id__in=[pk for pk, _ in written]).delete()
    # ~17,000 rows: multi-row INSERTs, not model instances (this runs after every flush)
    rows = [(pk, g) for pk, name in written for g in sorted(grams(name))]
    table = connection.ops.quote_name(gram_model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), GRAM_BATCH):
            batch = rows[start : start + GRAM_BATCH]
            placeholders = ", ".join(["(%s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} (branch_id, gram) VALUES {placeholders}",  # noqa: S608
                [v for row in batch for v in row],
            )
    return len(codes)
