"""The shipped directory and the branch search (by bank, province, city, keyword)."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.banks import directory, selectors
from custodesk.banks.models import Bank, Branch, BranchGram

pytestmark = pytest.mark.django_db


def test_directory_is_loaded_by_migration() -> None:
    data = directory.read()
    assert Bank.objects.count() == len(data["banks"]) >= 20
    assert Branch.objects.count() == len(data["branches"]) >= 300
    icbc = Bank.objects.get(code="102")
    assert (icbc.name_hans, icbc.name_hant, icbc.swift) == (
        "中国工商银行",
        "中國工商銀行",
        "ICBKCNBJ",
    )
    assert {"CN", "HK"} == set(Bank.objects.values_list("region", flat=True))
    mainland = Branch.objects.filter(bank__region="CN")
    assert all(len(b.code) == 12 and b.code.isdigit() for b in mainland)
    assert all(b.code.startswith(b.bank.code) for b in mainland.select_related("bank"))


def test_loading_again_changes_nothing_and_updates_what_changed() -> None:
    data = directory.read()
    assert directory.load(Bank, Branch, BranchGram, data) == 0
    grams = BranchGram.objects.count()
    first = data["branches"][0]
    data["branches"][0] = {**first, "name": first["name"] + "营业室"}
    assert directory.load(Bank, Branch, BranchGram, data) == 1
    assert Branch.objects.get(code=first["code"]).name.endswith("营业室")
    assert BranchGram.objects.count() > grams
    assert selectors.branch_search(keyword="营业室")[0].code == first["code"]


def test_search_by_bank_province_city() -> None:
    found = selectors.branch_search(bank_code="102", province="广东省", city="深圳市")
    assert found
    assert all((b.bank.code, b.province, b.city) == ("102", "广东省", "深圳市") for b in found)
    assert [b.code for b in found] == sorted(b.code for b in found)


@pytest.mark.parametrize(
    "keyword", ["朝阳", "营业部", "深圳", "浦东支行", "工商银行股份有限公司上海"]
)
def test_keyword_is_a_chinese_substring(keyword: str) -> None:
    found = selectors.branch_queryset(keyword=keyword)
    expected = {b.code for b in Branch.objects.all() if keyword in b.name}
    assert expected
    assert {b.code for b in found} == expected


def test_single_character_and_code_prefix_keywords() -> None:
    assert {b.code for b in selectors.branch_queryset(keyword="渝")} == {
        b.code for b in Branch.objects.all() if "渝" in b.name
    }
    by_code = selectors.branch_queryset(keyword="1055840")
    assert by_code and all(b.code.startswith("1055840") for b in by_code)


def test_keyword_with_no_match_and_limits() -> None:
    assert selectors.branch_search(keyword="不存在的支行名称") == []
    assert len(selectors.branch_search(limit=5)) == 5
    assert len(selectors.branch_search(limit=10_000)) == 200


def test_keyword_search_uses_the_gram_index(django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(1):
        list(selectors.branch_queryset(bank_code="104", keyword="朝阳"))
    sql = str(selectors.branch_queryset(keyword="朝阳").query)
    assert "banks_branchgram" in sql


def test_provinces_with_cities() -> None:
    rows = selectors.provinces(bank_code="313")
    names = [r["province"] for r in rows]
    assert "北京市" in names and "香港特别行政区" not in names
    hk = selectors.provinces(bank_code="HK004")
    assert hk == [{"province": "香港特别行政区", "cities": ["香港"]}]
