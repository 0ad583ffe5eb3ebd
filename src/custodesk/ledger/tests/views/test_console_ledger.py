"""Console pages of the ledger (Django test client): accounts, account page with
statement and downloads, freeze / unfreeze / close, transfers (keyset), holds,
refused attempts, permissions."""

import csv
import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from custodesk.ledger import services
from custodesk.ledger.models import AccountFreeze, LedgerAccount, LedgerTransfer
from custodesk.ledger.services import TransferSpec
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNTS = "/console/ledger/accounts/"
ALICE = "/console/ledger/accounts/M-ALICE/"


def sign_in(client, username="admin"):
    client.post("/console/sign-in/", {"username": username, "password": PASSWORD})


def book(clock, *specs):
    outs = services.book(list(specs), now=clock.now(), business_date=clock.business_date())
    return outs


def fresh(account):
    return LedgerAccount.objects.get(pk=account.pk)


@pytest.fixture
def ledger(admin, clock):
    def open_(code, **kw):
        return services.account_open(
            actor=None,
            code=code,
            kind=kw.pop("kind", "member_sub"),
            currency=kw.pop("currency", "HKD"),
            now=clock.now(),
            **kw,
        )

    return SimpleNamespace(
        summary=open_("SUM-HKD", kind="market_summary", name="Market summary", hot=True),
        alice=open_("M-ALICE", name="Alice Trading", debits_must_not_exceed_credits=True),
        bob=open_("M-BOB", name="Bob Securities", debits_must_not_exceed_credits=True),
        usd=open_("M-CAROL-USD", name="Carol USD", currency="USD"),
    )


@pytest.fixture
def history(ledger, clock):
    """Alice's movements over four business dates (balances credit-normal)."""
    days = [dt.date(2026, 11, d) for d in (20, 21, 22, 23)]
    moves = [
        TransferSpec(ledger.summary.pk, ledger.alice.pk, 10_000, "HKD", kind="deposit"),
        TransferSpec(ledger.summary.pk, ledger.alice.pk, 123_456, "HKD", kind="deposit"),
        TransferSpec(ledger.alice.pk, ledger.bob.pk, 20_000, "HKD", kind="transfer"),
        TransferSpec(ledger.summary.pk, ledger.alice.pk, 5_000, "HKD", kind="deposit"),
    ]
    for day, spec in zip(days, moves, strict=True):
        clock.set_business_date(day)
        assert book(clock, spec)[0].ok
        clock.advance(minutes=5)
    clock.set_business_date(None)
    return ledger


# -- accounts list ---------------------------------------------------------------------
def test_accounts_list_shows_balances_and_filters(client, history):
    sign_in(client)
    page = client.get(ACCOUNTS).content.decode()
    for code in ("SUM-HKD", "M-ALICE", "M-BOB", "M-CAROL-USD"):
        assert f'data-account="{code}"' in page
    assert "1,184.56 HKD" in page  # Alice: 100.00 + 1,234.56 − 200.00 + 50.00
    assert "-1,384.56 HKD" in page  # the summary account (hot: counters in shards)
    filtered = client.get(ACCOUNTS, {"q": "alice"}).content.decode()
    assert 'data-account="M-ALICE"' in filtered
    assert 'data-account="M-BOB"' not in filtered and 'data-account="SUM-HKD"' not in filtered
    usd = client.get(ACCOUNTS, {"currency": "USD"}).content.decode()
    assert 'data-account="M-CAROL-USD"' in usd and 'data-account="M-ALICE"' not in usd
    nothing = client.get(ACCOUNTS, {"kind": "fee"}).content.decode()
    assert "No ledger accounts match these filters." in nothing


def test_accounts_list_tags_frozen_accounts(client, ledger, clock):
    services.freeze_place(
        actor=None, account_id=ledger.bob.pk, kind="debit", reason_code="AML", now=clock.now()
    )
    sign_in(client)
    page = client.get(ACCOUNTS, {"q": "M-BOB"}).content.decode()
    assert "debit frozen" in page and "credit frozen" not in page


def test_accounts_list_pages_by_account_number(client, ledger, monkeypatch):
    """A keyset page at a time (balances for the page only): Next carries the last
    account number shown and the filters; the last page has no Next."""
    from custodesk.ledger import views

    monkeypatch.setattr(views, "ACCOUNT_PAGE", 2)
    sign_in(client)
    first = client.get(ACCOUNTS).content.decode()
    assert first.count("data-account=") == 2
    assert 'data-account="M-ALICE"' in first and 'data-account="M-BOB"' in first
    assert 'data-testid="next"' in first and "after=M-BOB" in first
    assert 'data-testid="first"' not in first
    second = client.get(ACCOUNTS, {"after": "M-BOB"}).content.decode()
    assert 'data-account="M-CAROL-USD"' in second and 'data-account="SUM-HKD"' in second
    assert 'data-testid="next"' not in second and 'data-testid="first"' in second
    hkd = client.get(ACCOUNTS, {"currency": "HKD", "after": "M-ALICE"}).content.decode()
    assert hkd.count("data-account=") == 2 and "M-CAROL-USD" not in hkd
    past_the_end = client.get(ACCOUNTS, {"after": "ZZZ"}).content.decode()
    assert "No more ledger accounts." in past_the_end


# -- account page and statement ----------------------------------------------------------
def test_account_page_shows_balances_holds_and_statement_with_running_balance(
    client, history, clock
):
    book(
        clock,
        TransferSpec(
            history.alice.pk, history.summary.pk, 3_000, "HKD", flag="pending",
            timeout_seconds=3600, kind="withdrawal",
        ),
    )  # fmt: skip
    services.freeze_place(
        actor=None, account_id=history.alice.pk, kind="amount", amount=456,
        reason_code="COURT", legal_reference="HCMP 1/2026", now=clock.now(),
    )  # fmt: skip
    sign_in(client)
    page = client.get(ALICE).content.decode()
    assert 'data-testid="balance">1,184.56 HKD<' in page
    assert 'data-testid="available">1,150.00 HKD<' in page  # − 30.00 held − 4.56 frozen
    assert 'data-testid="debits-pending">30.00 HKD<' in page
    assert 'data-testid="frozen">4.56 HKD<' in page
    assert "HCMP 1/2026" in page and "COURT" in page
    assert "withdrawal" in page and "2026-11-23 10:50" in page  # hold expiry (HK time)
    # default statement range: the last 30 business dates up to today's (2026-11-23)
    assert 'name="date_from" value="2026-10-25"' in page
    balances = [
        chunk.split("<", 1)[0] for chunk in page.split('data-testid="running-balance">')[1:]
    ]
    assert balances == ["100.00", "1,334.56", "1,134.56", "1,184.56"]
    assert page.count("data-line=") == 4  # the hold is not a posted movement


def test_statement_of_a_range_has_opening_lines_and_closing(client, history):
    sign_in(client)
    page = client.get(ALICE, {"date_from": "2026-11-21", "date_to": "2026-11-22"})
    html = page.content.decode()
    assert page.status_code == 200 and html.count("data-line=") == 2
    opening = html.split('data-testid="statement-opening"')[1].split("</tr>")[0]
    closing = html.split('data-testid="statement-closing"')[1].split("</tr>")[0]
    assert "100.00" in opening and "1,134.56" in closing
    assert "M-BOB" in html  # the counterparty of the 200.00 debit
    assert "export=csv" in html and "date_from=2026-11-21" in html
    reversed_range = client.get(ALICE, {"date_from": "2026-11-22", "date_to": "2026-11-21"})
    assert reversed_range.status_code == 200
    assert "date_to is before date_from" in reversed_range.content.decode()


def test_statement_csv_holds_exactly_the_range(client, history):
    sign_in(client)
    response = client.get(
        ALICE, {"date_from": "2026-11-21", "date_to": "2026-11-22", "export": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "statement-M-ALICE-20261121-20261122.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0][:7] == [
        "business_date", "time", "kind", "counterparty", "debit", "credit", "balance",
    ]  # fmt: skip
    assert rows[1][:7] == ["2026-11-21", "", "opening", "", "", "", "100.00"]
    assert [r[:7] for r in rows[2:4]] == [
        ["2026-11-21", rows[2][1], "deposit", "SUM-HKD", "0.00", "1234.56", "1334.56"],
        ["2026-11-22", rows[3][1], "transfer", "M-BOB", "200.00", "0.00", "1134.56"],
    ]
    assert rows[2][1].startswith("2026-11-23T09:35")  # booked at local time
    assert rows[4][:7] == ["2026-11-22", "", "closing", "", "", "", "1134.56"]
    assert len(rows) == 5


def test_statement_xlsx_holds_exactly_the_range(client, history):
    sign_in(client)
    response = client.get(
        ALICE, {"date_from": "2026-11-22", "date_to": "2026-11-23", "export": "xlsx"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:7] == [
        "business_date", "time", "kind", "counterparty", "debit", "credit", "balance",
    ]  # fmt: skip
    kinds = [r[2] for r in rows[1:]]
    assert kinds == ["opening", "transfer", "deposit", "closing"]
    assert Decimal(str(rows[1][6])) == Decimal("1334.56")
    assert Decimal(str(rows[2][4])) == Decimal("200")
    assert Decimal(str(rows[3][5])) == Decimal("50")
    assert Decimal(str(rows[4][6])) == Decimal("1184.56")
    assert rows[2][0].date() == dt.date(2026, 11, 22)


# -- freeze, unfreeze, close --------------------------------------------------------------
def test_freeze_with_the_form_then_release_with_a_reason(client, history):
    sign_in(client)
    assert 'data-testid="freeze-form"' in client.get(ALICE).content.decode()
    placed = client.post(
        ALICE + "freeze/",
        {
            "kind": "amount",
            "amount": "100.50",
            "reason_code": "COURT-ORDER",
            "legal_reference": "HCMP 123/2026",
            "expires_at": "2026-12-31T17:00",
        },
    )
    assert placed.status_code == 302 and placed["Location"] == ALICE
    freeze = AccountFreeze.objects.get(account=history.alice)
    assert freeze.amount == 10_050 and freeze.legal_reference == "HCMP 123/2026"
    assert freeze.expires_at == dt.datetime(2026, 12, 31, 9, 0, tzinfo=dt.UTC)  # 17:00 HK
    assert fresh(history.alice).frozen_amount == 10_050
    page = client.get(ALICE).content.decode()
    assert "The freeze has been placed." in page
    assert 'data-testid="frozen">100.50 HKD<' in page and "HCMP 123/2026" in page

    url = f"{ALICE}freezes/{freeze.public_id}/release/"
    confirm = client.get(url).content.decode()
    assert 'data-testid="confirm-form"' in confirm and "COURT-ORDER" in confirm
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 200
    assert "This field is required." in missing.content.decode()
    assert AccountFreeze.objects.get(pk=freeze.pk).released_at is None
    assert fresh(history.alice).frozen_amount == 10_050
    done = client.post(url, {"reason": "order lifted by the court"})
    assert done.status_code == 302 and done["Location"] == ALICE
    released = AccountFreeze.objects.get(pk=freeze.pk)
    assert released.released_at is not None
    assert released.release_reason == "order lifted by the court"
    assert fresh(history.alice).frozen_amount == 0
    assert "No active freeze on this account." in client.get(ALICE).content.decode()


def test_freeze_form_errors_are_shown_next_to_the_field_and_change_nothing(client, history):
    sign_in(client)
    no_amount = client.post(ALICE + "freeze/", {"kind": "amount", "reason_code": "AML"})
    assert no_amount.status_code == 200
    assert "An amount freeze needs an amount." in no_amount.content.decode()
    too_precise = client.post(
        ALICE + "freeze/", {"kind": "amount", "amount": "1.005", "reason_code": "AML"}
    )
    assert too_precise.status_code == 200 and "has-error" in too_precise.content.decode()
    no_reason = client.post(ALICE + "freeze/", {"kind": "full", "reason_code": ""})
    assert "This field is required." in no_reason.content.decode()
    assert not AccountFreeze.objects.exists()
    assert fresh(history.alice).debit_blocks == 0


def test_debit_freeze_from_the_form_blocks_money_out(client, history, clock):
    sign_in(client)
    client.post(ALICE + "freeze/", {"kind": "debit", "reason_code": "AML-REVIEW"})
    page = client.get(ALICE).content.decode()
    assert "debit frozen" in page
    [out] = book(clock, TransferSpec(history.alice.pk, history.bob.pk, 100, "HKD"))
    assert out.code == "account_debit_frozen"


def test_close_account_asks_for_a_reason_and_needs_a_zero_balance(client, history, clock):
    sign_in(client)
    empty = services.account_open(
        actor=None, code="M-EMPTY", kind="member_sub", currency="HKD", now=clock.now()
    )
    url = "/console/ledger/accounts/M-EMPTY/close/"
    assert (
        'data-testid="close-account"'
        in client.get("/console/ledger/accounts/M-EMPTY/").content.decode()
    )
    assert client.post(url, {"reason": ""}).status_code == 200
    assert fresh(empty).status == "open"
    busy = client.post(ALICE + "close/", {"reason": "client left"})
    assert busy.status_code == 200
    assert "zero balance" in busy.content.decode()
    assert fresh(history.alice).status == "open"
    done = client.post(url, {"reason": "opened by mistake"})
    assert done.status_code == 302
    assert fresh(empty).status == "closed"
    page = client.get("/console/ledger/accounts/M-EMPTY/").content.decode()
    assert 'data-testid="close-account"' not in page and 'data-testid="freeze-form"' not in page


# -- transfers ---------------------------------------------------------------------------
def test_transfers_list_filters_and_keyset_older_page(client, ledger, clock):
    deposits = [
        TransferSpec(ledger.summary.pk, ledger.alice.pk, 100 + i, "HKD", kind="deposit")
        for i in range(60)
    ]
    book(clock, *deposits)
    book(clock, TransferSpec(ledger.alice.pk, ledger.bob.pk, 5_000, "HKD", kind="payment"))
    sign_in(client)
    everything = client.get("/console/ledger/transfers/").content.decode()
    assert everything.count("data-transfer=") == 50
    payments = client.get("/console/ledger/transfers/", {"kind": "payment"}).content.decode()
    assert payments.count("data-transfer=") == 1 and "50.00 HKD" in payments
    bob = client.get("/console/ledger/transfers/", {"account": "M-BOB"}).content.decode()
    assert bob.count("data-transfer=") == 1
    big = client.get(
        "/console/ledger/transfers/", {"kind": "deposit", "amount_min": "1.50"}
    ).content.decode()
    assert big.count("data-transfer=") == 10  # 1.50 … 1.59

    first = client.get("/console/ledger/transfers/", {"kind": "deposit"}).content.decode()
    assert first.count("data-transfer=") == 50 and 'data-testid="older"' in first
    newest_first = list(
        LedgerTransfer.objects.filter(kind="deposit")
        .order_by("-id")
        .values_list("public_id", flat=True)
    )
    assert f'data-transfer="{newest_first[0]}"' in first
    assert f"after={newest_first[49]}" in first and "kind=deposit" in first
    older = client.get(
        "/console/ledger/transfers/", {"kind": "deposit", "after": str(newest_first[49])}
    ).content.decode()
    assert older.count("data-transfer=") == 10
    assert f'data-transfer="{newest_first[50]}"' in older
    assert f'data-transfer="{newest_first[49]}"' not in older
    assert 'data-testid="older"' not in older and 'data-testid="newest"' in older


def test_transfers_list_reports_bad_filters(client, ledger):
    sign_in(client)
    page = client.get(
        "/console/ledger/transfers/", {"amount_min": "abc", "metadata_key": "a__regex"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="filter-errors"' in html
    assert "No transfers match these filters." in html


# -- holds and refused attempts -----------------------------------------------------------
def test_holds_page_lists_pending_holds_with_expiry(client, ledger, clock):
    book(clock, TransferSpec(ledger.summary.pk, ledger.alice.pk, 100_000, "HKD"))
    [held] = book(
        clock,
        TransferSpec(
            ledger.alice.pk, ledger.summary.pk, 25_000, "HKD", flag="pending",
            timeout_seconds=900, kind="withdrawal",
        ),
    )  # fmt: skip
    [voided] = book(
        clock, TransferSpec(ledger.alice.pk, ledger.bob.pk, 1_000, "HKD", flag="pending")
    )
    book(clock, TransferSpec(flag="void_pending", pending_id=voided.transfer["internal_id"]))
    sign_in(client)
    page = client.get("/console/ledger/holds/").content.decode()
    assert page.count("data-transfer=") == 1
    assert f'data-transfer="{held.transfer["id"]}"' in page
    assert "250.00 HKD" in page and "2026-11-23 09:45" in page and "withdrawal" in page
    assert "past expiry" not in page
    clock.advance(minutes=20)  # past the hold's expiry, before the expiry job ran
    late = client.get("/console/ledger/holds/").content.decode()
    assert "past expiry" in late
    unknown = client.get("/console/ledger/holds/", {"account": "NOPE"}).content.decode()
    assert "No such ledger account." in unknown and "data-transfer=" not in unknown


def test_holds_page_empty_state(client, ledger):
    sign_in(client)
    page = client.get("/console/ledger/holds/").content.decode()
    assert "No pending holds" in page


def test_refused_page_lists_attempts_with_the_requested_accounts_and_amount(client, ledger, clock):
    [refused] = book(clock, TransferSpec(ledger.alice.pk, ledger.bob.pk, 9_999_900, "HKD"))
    assert refused.code == "exceeds_credits"
    sign_in(client)
    page = client.get("/console/ledger/refused/").content.decode()
    table = page.split('data-testid="refused-table"')[1]
    assert "exceeds_credits" in table and "Insufficient available balance." in table
    assert "M-ALICE" in table and "M-BOB" in table and "99,999.00 HKD" in table
    assert "<td>system</td>" in table  # asked for by a service call, not by a user
    other = client.get("/console/ledger/refused/", {"code": "account_closed"}).content.decode()
    assert "No refused attempts match these filters." in other
    unknown = client.get("/console/ledger/refused/", {"account": "NOPE"}).content.decode()
    assert "No such ledger account." in unknown and "data-refused=" not in unknown


def test_refused_page_says_who_asked_and_pages_back_in_time(client, ledger, admin, clock):
    from custodesk.ledger import views

    for i in range(views.REFUSED_SHOWN + 5):
        [out] = services.book(
            [TransferSpec(ledger.alice.pk, ledger.bob.pk, 1_000 + i, "HKD")],
            requested_by=admin,
            now=clock.now(),
            business_date=clock.business_date(),
        )
        assert out.code == "exceeds_credits"
    sign_in(client)
    page = client.get("/console/ledger/refused/").content.decode()
    assert page.count("data-refused=") == views.REFUSED_SHOWN
    assert "<td>admin</td>" in page and "11.04 HKD" in page  # the newest first
    marker = page.split('data-testid="older"')[0].rsplit('href="', 1)[1].split('"')[0]
    back = client.get("/console/ledger/refused/" + marker.replace("&amp;", "&")).content.decode()
    assert back.count("data-refused=") == 5 and "10.00 HKD" in back
    assert 'data-testid="older"' not in back and 'data-testid="newest"' in back
    nobody = client.get("/console/ledger/refused/", {"requested_by": "olive"}).content.decode()
    assert "No such user." in nobody


def test_freezes_page_lists_what_is_in_force_and_who_placed_and_released_it(
    client, ledger, admin, clock
):
    now = clock.now()
    assert book(clock, TransferSpec(ledger.summary.pk, ledger.bob.pk, 100_000, "HKD"))[0].ok
    court = services.freeze_place(
        actor=admin, account_id=ledger.alice.pk, kind="full", reason_code="COURT",
        legal_reference="HCMP 1/2026", now=now,
    )  # fmt: skip
    soon = services.freeze_place(
        actor=admin, account_id=ledger.bob.pk, kind="amount", amount=12_345, reason_code="MARGIN",
        expires_at=now + dt.timedelta(minutes=10), now=now,
    )  # fmt: skip
    later = services.freeze_place(
        actor=admin, account_id=ledger.bob.pk, kind="credit", reason_code="KYC",
        expires_at=now + dt.timedelta(days=2), now=now,
    )  # fmt: skip
    sign_in(client)
    page = client.get("/console/ledger/freezes/").content.decode()
    table = page.split('data-testid="freezes-table"')[1]
    # in force, soonest expiry first, those without one last
    order = [table.index(f'data-freeze="{f.public_id}"') for f in (soon, later, court)]
    assert order == sorted(order)
    assert "123.45 HKD" in table and "HCMP 1/2026" in table and "· admin" in table
    assert "past expiry" not in table

    clock.advance(minutes=15)  # the margin freeze is past its expiry; the job lifts it
    assert "past expiry" in client.get("/console/ledger/freezes/").content.decode()
    assert services.release_expired_freezes(now=clock.now()) == 1
    services.freeze_release(actor=admin, freeze_id=later.public_id, reason="KYC done", now=now)
    active = client.get("/console/ledger/freezes/").content.decode()
    assert active.count("data-freeze=") == 1 and f'data-freeze="{court.public_id}"' in active
    released = client.get("/console/ledger/freezes/", {"status": "released"}).content.decode()
    assert released.count("data-freeze=") == 2
    assert "admin — KYC done" in released and "expiry (system) — expired" in released
    bob_all = client.get(
        "/console/ledger/freezes/", {"status": "all", "account": "M-BOB"}
    ).content.decode()
    assert bob_all.count("data-freeze=") == 2
    credit = client.get("/console/ledger/freezes/", {"kind": "credit", "status": "all"})
    assert credit.content.decode().count("data-freeze=") == 1
    # the account page links to its history and says who placed what is in force
    alice = client.get(ALICE).content.decode()
    assert "/console/ledger/freezes/?account=M-ALICE&amp;status=all" in alice
    assert "· admin" in alice.split('data-testid="freezes-table"')[1]


# -- permissions -------------------------------------------------------------------------
def test_menu_shows_the_ledger_section_to_viewers(client, ledger):
    sign_in(client)
    page = client.get("/console/").content.decode()
    for path in ("accounts", "transfers", "holds", "freezes", "refused"):
        assert f"/console/ledger/{path}/" in page


def test_user_without_ledger_permission_sees_no_menu_and_gets_403(client, ledger, make_user):
    make_user("olive", roles=["operator"])
    sign_in(client, "olive")
    home = client.get("/console/").content.decode()
    assert "/console/ledger/" not in home
    for path in (
        ACCOUNTS, ALICE, "/console/ledger/transfers/", "/console/ledger/holds/",
        "/console/ledger/freezes/", "/console/ledger/refused/", ALICE + "freeze/",
    ):  # fmt: skip
        assert client.get(path).status_code == 403, path
    assert client.post(ALICE + "freeze/", {"kind": "full", "reason_code": "X"}).status_code == 403
    assert not AccountFreeze.objects.exists()


def test_unknown_account_is_404(client, ledger):
    sign_in(client)
    assert client.get("/console/ledger/accounts/NOPE/").status_code == 404
