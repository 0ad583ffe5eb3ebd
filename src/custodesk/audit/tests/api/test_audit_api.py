import csv
import io

import pytest
from openpyxl import load_workbook

from custodesk.testing.fixtures import grant_role
from custodesk.testing.governance import create_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_audit_query_filters_and_export(api_client, admin, make_user):
    make_user("alice", roles=["operator"])
    make_user("bob", roles=["auditor"])
    api = api_client()
    assert api.sign_in("admin").status_code == 200

    grants = api.get("/audit", params={"action": "role.grant", "page_size": 100}).json()
    reprs = {e["object_repr"] for e in grants["items"]}
    assert "alice ← operator" in reprs and "bob ← auditor" in reprs
    assert all(e["action"] == "role.grant" for e in grants["items"])
    one = next(e for e in grants["items"] if e["object_repr"] == "alice ← operator")
    assert one["after"]["roles"] == ["operator"]
    assert one["actor"] == "admin"

    detail = api.get(f"/audit/{one['id']}").json()
    assert detail["hash"] == one["hash"]

    exported = api.get("/audit/export", params={"action": "role.grant", "format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["object"] for r in rows} == reprs

    xlsx = api.get("/audit/export", params={"action": "role.grant", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == len(rows) + 1

    assert api.post("/audit/verify").json() == {"intact": True, "problems": []}


def test_auditor_reads_but_cannot_export(api_client, make_user):
    make_user("ivan", roles=["auditor"])
    api = api_client()
    api.sign_in("ivan")
    assert api.get("/audit").status_code == 200
    denied = api.get("/audit/export")
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"


def test_member_users_see_only_their_organisation(api_client, admin, make_user, member_org, clock):

    role = create_role(
        actor=admin,
        code="member_audit",
        name="x",
        permissions=["audit.entry.view"],
        now=clock.now(),
    )
    # the role belongs to the staff organisation; a member org defines its own
    assert role.organisation_id == admin.organisation_id
    member = make_user("memberclerk", organisation=member_org)
    create_role(
        actor=admin,
        code="viewer",
        name="Viewer",
        permissions=["audit.entry.view"],
        organisation_id=member_org.public_id,
        now=clock.now(),
    )
    grant_role(admin, member, "viewer", clock=clock)
    api = api_client()
    api.sign_in("memberclerk")
    items = api.get("/audit", params={"page_size": 100}).json()["items"]
    assert items, "the member sees the records of its own organisation"
    assert {e["organisation"] for e in items} == {"M001"}
    staff_entry = api_client()
    staff_entry.sign_in("admin")
    staff_ids = [
        e["id"]
        for e in staff_entry.get("/audit", params={"page_size": 100}).json()["items"]
        if e["organisation"] == "STAFF"
    ]
    assert api.get(f"/audit/{staff_ids[0]}").status_code == 404


def test_verify_checks_the_anchors_outside_the_database(api_client, admin, clock):
    from custodesk.audit.services import anchor_head
    from custodesk.core.anchors import log_path

    api = api_client()
    api.sign_in("admin")
    assert anchor_head(now=clock.now()) is not None
    assert api.post("/audit/verify").json() == {"intact": True, "problems": []}
    path = log_path("audit")
    path.write_text(path.read_text().replace('"seq":', '"seq":9'))
    report = api.post("/audit/verify").json()
    assert report["intact"] is False
    assert report["problems"] == [
        f"anchor log {path} line 1: bad signature (line changed, or signed with another key)"
    ]
