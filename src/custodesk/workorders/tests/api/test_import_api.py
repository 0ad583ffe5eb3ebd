"""The import API over real HTTP: template in three languages, upload → progress →
preview rows with reasons → errors file → confirm → orders; the same file again is
recognised; batch unfreeze with a result per target; bad input → 4xx problems."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from custodesk.testing.workorder_imports import (
    csv_bytes,
    freeze_account,
    freeze_client,
    run_jobs,
    unused_number,
)
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _signed(api_client, name="admin"):
    api = api_client()
    assert api.sign_in(name).status_code == 200
    return api


def test_template_in_each_language(api_client, admin):
    api = _signed(api_client)
    r = api.get("/workorders/imports/template", params={"language": "zh-hant", "format": "xlsx"})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    ws = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in ws[1]] == ["工單類型", "客戶編號或帳戶號碼", "註銷類型", "原因"]
    r = api.get("/workorders/imports/template", params={"language": "zh-hans", "format": "csv"})
    assert r.content.decode("utf-8-sig").strip() == "工单类型,客户编号或账户号码,注销类型,原因"
    r = api.get("/workorders/imports/template", params={"language": "fr"})
    assert r.status_code == 422


def test_upload_preview_confirm_and_the_same_file_again(api_client, admin, make_client, clock):
    a_client, _ = make_client(accounts=0)
    b_client, _ = make_client(accounts=0)
    rows = [
        ["Close client", a_client.client_no, "normal", "Dormant"],
        ["註銷客戶", b_client.client_no, "永久", "Asked to leave"],
        ["Close client", unused_number("client", 9_999_990), "normal", "x"],
        ["Close client", "1234", "normal", ""],
    ]
    content = csv_bytes(rows, language="zh-hans")  # the header in simplified Chinese
    api = _signed(api_client)
    r = api.post("/workorders/imports/", files={"file": ("close.csv", content, "text/csv")})
    assert r.status_code == 201, r.text
    imp = r.json()
    assert (imp["status"], imp["repeated"], imp["format"]) == ("uploaded", False, "csv")
    run_jobs()
    imp = api.get(f"/workorders/imports/{imp['id']}").json()
    assert (imp["status"], imp["valid"], imp["invalid"]) == ("validated", 2, 2)
    assert imp["progress"] == {"phase": "validation", "done": 4, "total": 4, "percent": 100,
                               "running": False}  # fmt: skip

    bad = api.get(f"/workorders/imports/{imp['id']}/rows", params={"status": "invalid"}).json()
    got = [(x["row"], e["field"], e["rule"]) for x in bad["items"] for e in x["errors"]]
    assert got == [(4, "target", "unknown_client"), (5, "target", "malformed_client"),
                   (5, "reason", "required")]  # fmt: skip
    assert bad["items"][0]["errors"][0]["message"] == "No such client."
    report = api.get(f"/workorders/imports/{imp['id']}/errors", params={"format": "csv"})
    lines = report.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 3 and lines[1].startswith("4,Close client,")

    r = api.post(f"/workorders/imports/{imp['id']}/confirm")
    assert r.status_code == 202 and r.json()["status"] == "creating"
    assert api.post(f"/workorders/imports/{imp['id']}/confirm").status_code == 409  # once only
    run_jobs()
    imp = api.get(f"/workorders/imports/{imp['id']}").json()
    assert (imp["status"], imp["created"], imp["not_created"]) == ("done", 2, 0)
    orders = WorkOrder.objects.filter(batch_id=imp["batch_id"]).order_by("number")
    assert [(o.kind, o.fields["close_kind"], o.channel) for o in orders] == [
        ("close_client", "normal", "import"), ("close_client", "permanent", "import")
    ]  # fmt: skip

    again = api.post("/workorders/imports/", files={"file": ("x.csv", content, "text/csv")})
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["repeated"]) == (imp["id"], True)


def test_a_file_that_is_not_the_template_is_refused_at_once(api_client, admin):
    api = _signed(api_client)
    r = api.post("/workorders/imports/", files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file" and r.json()["errors"][0]["rule"] == "header"
    r = api.post("/workorders/imports/", files={"file": ("x.xlsx", b"PK\x03\x04junk", XLSX)})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "format"
    assert api.get("/workorders/imports/0190f0a0-0000-7000-8000-000000000000").status_code == 404
    gone = api.get("/workorders/imports/0/rows")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    r = api.post("/workorders/imports/", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "multipart"
    r = api.post("/workorders/imports/", json={"file": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "required"


def test_batch_unfreeze_a_result_per_target(api_client, admin, checker, make_client, clock):
    _c1, [a1, a2] = make_client(accounts=2)
    c2, _ = make_client(accounts=0)
    freeze_account(admin, checker, a1, now=clock.now())
    freeze_client(admin, checker, c2, now=clock.now())
    api = _signed(api_client)
    r = api.post("/workorders/imports/unfreeze", json={
        "targets": [a1.number, c2.client_no, a2.number, "999999999"], "reason": "Cleared",
    })  # fmt: skip
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["submitted"] == 2
    res = {x["target"]: x for x in out["results"]}
    assert (res[a1.number]["ok"], res[a1.number]["kind"]) == (True, "unfreeze_account")
    assert (res[c2.client_no]["ok"], res[c2.client_no]["kind"]) == (True, "unfreeze_client")
    assert not res[a2.number]["ok"] and res[a2.number]["code"] == "invalid_transition"
    assert res["999999999"]["code"] == "not_found"
    made = WorkOrder.objects.filter(batch_id=out["batch_id"])
    assert set(made.values_list("status", flat=True)) == {"submitted"} and made.count() == 2
    assert (
        api.post("/workorders/imports/unfreeze", json={"targets": [], "reason": "x"}).status_code
        == 422
    )
