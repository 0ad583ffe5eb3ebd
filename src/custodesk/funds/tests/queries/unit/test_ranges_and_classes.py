"""The date range rules of the queries and the classes of a sub-account's movements."""

import datetime as dt

import pytest

from custodesk.core.errors import ValidationFailed
from custodesk.funds.queries import Category, category_of, check_range

TODAY = dt.date(2026, 12, 4)


def test_defaults_today_and_to_today():
    assert check_range(None, None, today=TODAY) == (TODAY, TODAY)
    start = dt.date(2026, 11, 1)
    assert check_range(start, None, today=TODAY) == (start, TODAY)
    assert check_range(None, start, today=TODAY) == (start, start)


def test_one_year_back_by_default_and_every_broken_rule_named(settings):
    oldest = TODAY - dt.timedelta(days=365)
    assert check_range(oldest, TODAY, today=TODAY) == (oldest, TODAY)
    with pytest.raises(ValidationFailed) as err:
        check_range(oldest - dt.timedelta(days=1), TODAY, today=TODAY)
    assert [(e.field, e.rule) for e in err.value.errors] == [("date_from", "history_window")]
    with pytest.raises(ValidationFailed) as err:
        check_range(TODAY, TODAY - dt.timedelta(days=1), today=TODAY)
    assert [(e.field, e.rule) for e in err.value.errors] == [("date_to", "after_date_from")]
    settings.CUSTODESK_FUNDS_HISTORY_DAYS = 7
    with pytest.raises(ValidationFailed) as err:
        check_range(TODAY - dt.timedelta(days=8), TODAY + dt.timedelta(days=1), today=TODAY)
    assert [(e.field, e.rule) for e in err.value.errors] == [
        ("date_to", "not_future"),
        ("date_from", "history_window"),
    ]


@pytest.mark.parametrize(
    ("kind", "other", "category"),
    [
        ("deposit", "market_summary", Category.FUNDS),
        ("withdrawal", "market_summary", Category.FUNDS),
        ("recredit", "market_suspense", Category.SUSPENSE),
        ("trade", "member_sub", Category.CLEARING),
        ("transfer", "member_sub", Category.CLEARING),
        ("clearing", "market_summary", Category.CLEARING),
        ("transfer", "bank_clearing", Category.CLEARING),
        ("custody_fee", "fee", Category.OTHER),
    ],
)
def test_classes_by_the_account_on_the_other_side(kind, other, category):
    assert category_of(kind, other) == category


def test_download_file_names_keep_safe_characters_only():
    from custodesk.funds.statements import file_name

    assert file_name("statement", "SHFE", 'M"1/../x', "20261201") == (
        "statement-SHFE-M_1_.._x-20261201"
    )
