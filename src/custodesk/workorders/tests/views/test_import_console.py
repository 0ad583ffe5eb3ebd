"""Console pages of the import and the batch unfreeze (Django test client): upload →
progress (the htmx partial) → preview of the invalid rows → confirm → done; the
errors file; the same file again; the template links; unfreeze a ticked selection."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.workorder_imports import freeze_account, freeze_client, run_jobs, xlsx
from custodesk.workorders.imports.models import ImportBatch
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def sign_in(client, username="admin"):
    assert client.post(
        "/console/sign-in/", {"username": username, "password": PASSWORD}
    ).status_code == 302  # fmt: skip


def test_upload_preview_confirm_in_the_console(client, admin, make_client, clock):
    ok, _ = make_client(accounts=0)
    content = xlsx([
        ["Close client", ok.client_no, "Permanent", "Dormant"],
        ["Close client", ok.client_no, "Permanent", "Twice"],
    ])  # fmt: skip
    sign_in(client)
    home = client.get("/console/workorders/imports/")
    assert home.status_code == 200
    html = home.content.decode()
    assert 'data-testid="template-zh-hant-xlsx"' in html and "Work-order import" in html

    r = client.post("/console/workorders/imports/",
                    {"file": SimpleUploadedFile("close.xlsx", content)})  # fmt: skip
    assert r.status_code == 302
    b = ImportBatch.objects.get()
    assert r["Location"] == f"/console/workorders/imports/{b.public_id}/"
    page = client.get(r["Location"]).content.decode()
    assert 'data-testid="import-progress"' in page and 'hx-trigger="every 1s"' in page

    run_jobs()
    partial = client.get(
        f"/console/workorders/imports/{b.public_id}/progress/", HTTP_HX_REQUEST="true"
    )
    assert partial["HX-Refresh"] == "true"  # the job is over: the page reloads
    page = client.get(f"/console/workorders/imports/{b.public_id}/").content.decode()
    assert 'data-row="3" data-status="invalid"' in page
    assert "The same target is on row 2 already." in page
    assert 'data-testid="confirm-form"' in page

    errors = client.get(f"/console/workorders/imports/{b.public_id}/errors/?format=xlsx")
    ws = load_workbook(io.BytesIO(b"".join(errors.streaming_content)
                                  if errors.streaming else errors.content)).active  # fmt: skip
    assert [c.value for c in ws[2]][:3] == [3, "Close client", ok.client_no]

    assert client.post(f"/console/workorders/imports/{b.public_id}/").status_code == 302
    run_jobs()
    page = client.get(f"/console/workorders/imports/{b.public_id}/").content.decode()
    assert 'data-status="done"' in page
    order = WorkOrder.objects.get(batch_id=b.batch_id)
    assert (order.kind, order.channel, order.status) == ("close_client", "import", "submitted")

    again = client.post(
        "/console/workorders/imports/",
        {"file": SimpleUploadedFile("again.xlsx", content)},
        follow=True,
    )
    assert again.redirect_chain[-1][0] == f"/console/workorders/imports/{b.public_id}/"
    assert "This file was imported before" in again.content.decode()


def test_the_template_downloads_in_three_languages(client, admin):
    sign_in(client)
    for lang, first in (("en", "Kind"), ("zh-hant", "工單類型"), ("zh-hans", "工单类型")):
        r = client.get(f"/console/workorders/imports/template/?language={lang}&format=csv")
        assert b"".join(r.streaming_content).decode("utf-8-sig").startswith(first)


def test_batch_unfreeze_of_a_ticked_selection(client, admin, checker, make_client, clock):
    _c, [a] = make_client(accounts=1)
    other, _ = make_client(accounts=0)
    freeze_account(admin, checker, a, now=clock.now())
    freeze_client(admin, checker, other, now=clock.now())
    sign_in(client)
    page = client.get("/console/workorders/imports/unfreeze/").content.decode()
    assert f'value="{a.number}"' in page and f'value="{other.client_no}"' in page
    r = client.post(
        "/console/workorders/imports/unfreeze/",
        {"target": [a.number, other.client_no], "reason": "Cleared by compliance"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-target="{a.number}" data-ok="1"' in html
    assert f'data-target="{other.client_no}" data-ok="1"' in html
    kinds = sorted(WorkOrder.objects.values_list("kind", flat=True))
    assert kinds == ["unfreeze_account", "unfreeze_client"]
    assert len(set(WorkOrder.objects.values_list("batch_id", flat=True))) == 1
    missing = client.post("/console/workorders/imports/unfreeze/", {"target": [a.number]})
    assert "This field is required." in missing.content.decode()


def test_unfreeze_from_the_account_lists_bulk_bar(client, admin, checker, make_client, clock):
    """The list's bulk bar has the centre's button (brokerage extensions); the ticked
    accounts arrive ticked on the batch unfreeze page — the frozen ones; the others are
    named as left out — and nothing is created until the user confirms with a reason."""
    _c, [frozen, active] = make_client(accounts=2)
    freeze_account(admin, checker, frozen, now=clock.now())
    sign_in(client)
    page = client.get("/console/brokerage/accounts/").content.decode()
    assert 'data-testid="bulk-unfreeze"' in page
    assert 'formaction="/console/workorders/imports/unfreeze/"' in page
    # what the list's form posts when that button is pressed (with the flag bar's fields)
    shown = client.post(
        "/console/workorders/imports/unfreeze/",
        {"accounts": [frozen.number, active.number], "bulk_action": "unfreeze",
         "flag": "", "op": "set", "reason": "", "back": ""},
    )  # fmt: skip
    html = shown.content.decode()
    assert shown.status_code == 200 and WorkOrder.objects.count() == 0
    box = f'value="{frozen.number}" id="t-{frozen.number}" aria-label="{frozen.number}"'
    assert f"{box} checked" in html
    assert f'value="{active.number}"' not in html
    assert 'data-testid="not-frozen"' in html and active.number in html
    assert "This field is required." not in html  # not yet a submission
    done = client.post(
        "/console/workorders/imports/unfreeze/", {"target": [frozen.number], "reason": "Cleared"}
    )
    assert f'data-target="{frozen.number}" data-ok="1"' in done.content.decode()
    assert list(WorkOrder.objects.values_list("kind", flat=True)) == ["unfreeze_account"]


def test_no_bulk_unfreeze_button_without_the_right_to_create_orders(
    client, make_user, make_client, clock
):
    make_client(accounts=1)
    make_user("viewer", roles=["broker_viewer"])
    sign_in(client, "viewer")
    response = client.get("/console/brokerage/accounts/")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="accounts-table"' in page
    assert 'data-testid="bulk-unfreeze"' not in page
