"""The console's branch picker: the partial refreshes from its own filters."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from custodesk.banks.models import Branch

pytestmark = pytest.mark.django_db

URL = reverse("console:banks_branch_picker")


def test_empty_picker_lists_banks_and_no_branches(client: Client) -> None:
    r = client.get(URL, {"field": "card_branch"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="card_branch_bank"' in html and "中国工商银行" in html
    assert 'type="radio"' not in html


def test_filters_narrow_to_branches_and_cities(client: Client) -> None:
    r = client.get(
        URL,
        {
            "field": "branch_code",
            "branch_code_bank": "102",
            "branch_code_province": "广东省",
            "branch_code_city": "广州市",
        },
    )
    html = r.content.decode()
    assert '<option value="深圳市"' in html  # the province's cities are offered
    assert "中国工商银行股份有限公司广州" in html
    assert "深圳" not in html.split('data-testid="bp-results"')[1]


def test_keyword_and_chosen_branch_is_kept(client: Client) -> None:
    r = client.get(
        URL, {"field": "branch_code", "branch_code_q": "朝阳", "branch_code": "102100000037"}
    )
    html = r.content.decode()
    assert 'value="102100000037" checked' in html
    results = html.split('data-testid="bp-results"')[1]
    assert all("朝阳" in line for line in results.split("<label")[1:])


def test_bad_field_name_falls_back(client: Client) -> None:
    r = client.get(URL, {"field": '"><script>'})
    assert r.status_code == 200 and "<script>" not in r.content.decode()
    assert client.post(URL).status_code == 405


def test_inclusion_tag_in_another_form(rf: RequestFactory) -> None:
    request: Any = rf.get("/")
    boc = Branch.objects.filter(bank__code="104").first()
    assert boc is not None
    html = Template(
        '{% load banks %}<form>{% branch_picker "payee_branch" value=code %}</form>'
    ).render(Context({"request": request, "code": boc.code}))
    assert f'name="payee_branch" value="{boc.code}" checked' in html
    assert '<option value="104" selected>' in html
