"""Console pages of the account list, trading permissions, products, flags and records."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client as WebClient

from custodesk.brokerage.models import AccountFlagAssignment
from custodesk.brokerage.services import columns as columns_svc
from custodesk.testing.brokerage_list import build
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(admin: Any, clock: Any) -> WebClient:
    build(clock.now())
    c = WebClient()
    c.post("/console/sign-in/", {"username": "admin", "password": PASSWORD})
    return c


def test_list_page_filters_and_shows_totals(web: WebClient) -> None:
    r = web.get("/console/brokerage/accounts/", {"name": "陳", "type": "cash"})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-account="100000001"' in html and 'data-account="200000002"' in html
    assert 'data-account="100000002"' not in html
    assert "2 accounts match" in html
    bad = web.get("/console/brokerage/accounts/", {"opened_from": "13/13/2020"}).content.decode()
    assert 'data-testid="filter-error"' in bad and "opened_from" in bad


def test_column_chooser_is_remembered_per_user(web: WebClient, admin: Any) -> None:
    r = web.post(
        "/console/brokerage/accounts/columns/",
        {"columns": ["phone", "client_name_zh"], "back": "?type=cash"},
    )
    assert r.status_code == 302 and r["Location"].endswith("?type=cash")
    assert columns_svc.columns_of(admin) == ["number", "client_name_zh", "phone"]
    html = web.get("/console/brokerage/accounts/").content.decode()
    assert "+85251234567" in html and "Chan Tai Man" not in html


def test_bulk_flag_from_the_list(web: WebClient) -> None:
    r = web.post(
        "/console/brokerage/accounts/flags/",
        {"flag": "ESOP", "op": "set", "accounts": ["100000001", "100000002"], "back": "?flag=ESOP"},
        follow=True,
    )
    html = r.content.decode()
    assert "100000001: flag set" in html and "100000002: already set" in html
    assert AccountFlagAssignment.objects.filter(flag__code="ESOP").count() == 2


def test_console_export_is_the_filtered_set(web: WebClient) -> None:
    r = web.get("/console/brokerage/accounts/export/", {"status": "closed", "format": "csv"})
    body = b"".join(r.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body)))
    assert [row[0] for row in rows[1:]] == ["100000004", "200000002"]


def test_rights_page_submits_a_change_for_approval(web: WebClient) -> None:
    url = "/console/brokerage/accounts/100000002/trading-permissions/"
    assert "MARGIN_FIN" in web.get(url).content.decode()
    r = web.post(url, {"enabled_MARGIN_FIN": "on", "reason": "signed"}, follow=True)
    assert "Submitted for approval" in r.content.decode()
    r = web.post(
        "/console/brokerage/accounts/100000001/trading-permissions/",
        {"enabled_MARGIN_FIN": "on", "reason": "try"},
    )
    assert "account_type_unsupported" not in r.content.decode()  # the message, not the code
    assert "margin products need a margin account" in r.content.decode()


def test_products_flags_and_records_pages(web: WebClient) -> None:
    assert "HK_EQ" in web.get("/console/brokerage/products/").content.decode()
    r = web.post(
        "/console/brokerage/flags/",
        {"code": "HOT", "name": "Hot", "name_hant": "熱", "name_hans": "热", "colour": "#ff0000"},
        follow=True,
    )
    assert 'data-flag="HOT"' in r.content.decode()
    r = web.post(
        "/console/brokerage/flags/",
        {"code": "X", "name": "", "name_hant": "", "name_hans": "", "colour": "red"},
    )
    assert "colour" in r.content.decode()
    html = web.get("/console/brokerage/records/", {"action": "brokerage.flag"}).content.decode()
    assert "brokerage.flag.create" in html
    assert (
        web.get("/console/brokerage/records/", {"tab": "devices", "kind": "staff"}).status_code
        == 200
    )
    exp = web.get("/console/brokerage/records/export/", {"action": "brokerage.flag"})
    assert b"brokerage.flag.create" in b"".join(exp.streaming_content)  # type: ignore[attr-defined]


def test_pages_refuse_a_user_without_the_permission(web: WebClient, make_user: Any) -> None:
    make_user("nobody")
    c = WebClient()
    c.post("/console/sign-in/", {"username": "nobody", "password": PASSWORD})
    assert c.get("/console/brokerage/accounts/").status_code == 403
    assert c.get("/console/brokerage/records/").status_code == 403
