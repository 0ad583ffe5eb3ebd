"""Reads of the bank and branch directory (public reference data: no actor needed)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from .directory import keyword_grams
from .models import Bank, Branch, BranchGram

MAX_KEYWORD = 30


def banks(*, region: str | None = None) -> QuerySet[Bank]:
    qs = Bank.objects.all()
    if region:
        qs = qs.filter(region=region)
    return qs


def bank(code: str) -> Bank | None:
    return Bank.objects.filter(code=code).first()


def branch(code: str) -> Branch | None:
    return Branch.objects.select_related("bank").filter(code=code).first()


def provinces(*, bank_code: str | None = None) -> list[dict[str, Any]]:
    """Provinces with their cities (of one bank's branches, or of all)."""
    qs = Branch.objects.all()
    if bank_code:
        qs = qs.filter(bank__code=bank_code)
    out: dict[str, list[str]] = {}
    for province, city in (
        qs.values_list("province", "city").distinct().order_by("province", "city")
    ):
        out.setdefault(province, []).append(city)
    return [{"province": p, "cities": c} for p, c in out.items()]


def branch_queryset(
    *,
    bank_code: str | None = None,
    province: str | None = None,
    city: str | None = None,
    keyword: str | None = None,
) -> QuerySet[Branch]:
    """Branches by bank, province, city and a keyword (a substring of the Chinese name,
    or a code prefix when it is all digits), ordered by code.

    Every filter uses an index: bank/province/city the composite indexes of
    :class:`Branch`, a digit keyword the unique code index, a name keyword the
    :class:`BranchGram` index (the branches having all the keyword's character
    pairs), confirmed by ``LIKE`` on those candidates only."""
    qs = Branch.objects.select_related("bank")
    if bank_code:
        qs = qs.filter(bank__code=bank_code)
    if province:
        qs = qs.filter(province=province)
    if city:
        qs = qs.filter(city=city)
    kw = "".join((keyword or "").split())[:MAX_KEYWORD]
    if kw:
        if kw.isascii() and kw.isdigit():
            qs = qs.filter(code__startswith=kw)
        else:
            wanted = keyword_grams(kw)
            candidates = (
                BranchGram.objects.filter(gram__in=wanted)
                .values("branch_id")
                .annotate(n=Count("gram"))
                .filter(n=len(wanted))
                .values("branch_id")
            )
            qs = qs.filter(pk__in=candidates, name__contains=kw)
    return qs.order_by("code")


def branch_search(
    *,
    bank_code: str | None = None,
    province: str | None = None,
    city: str | None = None,
    keyword: str | None = None,
    limit: int = 50,
) -> list[Branch]:
    """The first ``limit`` (at most 200) branches of :func:`branch_queryset`."""
    return list(
        branch_queryset(bank_code=bank_code, province=province, city=city, keyword=keyword)[
            : max(1, min(limit, 200))
        ]
    )
