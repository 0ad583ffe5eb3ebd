"""The public directory API over real HTTP: no sign-in, bounded query, paged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_banks_without_signing_in(api_client: Callable[[], Any]) -> None:
    api = api_client()
    r = api.get("/banks")
    assert r.status_code == 200
    codes = [b["code"] for b in r.json()]
    assert codes[:4] == ["102", "103", "104", "105"]
    assert "HK004" in codes
    hk = api.get("/banks", params={"region": "HK"}).json()
    assert {b["region"] for b in hk} == {"HK"}


def test_provinces_of_a_bank(api_client: Callable[[], Any]) -> None:
    rows = api_client().get("/banks/provinces", params={"bank": "HK024"}).json()
    assert rows == [{"province": "香港特别行政区", "cities": ["香港"]}]


def test_branches_filtered_and_paged(api_client: Callable[[], Any]) -> None:
    api = api_client()
    r = api.get("/banks/branches", params={"bank": "105", "province": "广东省", "page_size": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] > 2 and len(body["items"]) == 2
    first = body["items"][0]
    assert first["bank_code"] == "105" and first["province"] == "广东省"
    assert first["bank_name"] == "中国建设银行"
    r = api.get("/banks/branches", params={"q": "营业部", "city": "上海市"})
    assert r.status_code == 200
    assert all("营业部" in b["name"] and b["city"] == "上海市" for b in r.json()["items"])


@pytest.mark.parametrize(
    "params",
    [
        {"bank": "x" * 9},
        {"bank": "1 2"},
        {"q": "a" * 31},
        {"q": "\x00"},
        {"province": "p" * 33},
        {"page_size": 501},
        {"page": 0},
    ],
)
def test_bad_query_is_a_4xx_problem(api_client: Callable[[], Any], params: dict[str, Any]) -> None:
    r = api_client().get("/banks/branches", params=params)
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bad_region_is_refused(api_client: Callable[[], Any]) -> None:
    assert api_client().get("/banks", params={"region": "US"}).status_code == 422


def test_directory_survives_the_flush_of_transactional_tests(api_client: Callable[[], Any]) -> None:
    """Runs after other transactional tests flushed the database: still there."""
    assert len(api_client().get("/banks").json()) >= 25
