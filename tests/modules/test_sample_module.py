"""A module registers itself: tests/sample_module touches nothing outside its folder but
``INSTALLED_APPS`` (the test settings), and everything it declares in its ``module.py``
is served or registered — its console page and menu entry, its API route over real HTTP,
its periodic job in the worker's schedule, its permission and default role, its demo
step."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult
from tests.sample_module import notes

from custodesk.core import access, demo, modules, schedule
from custodesk.identity.models import Role
from custodesk.testing.fixtures import PASSWORD

REPO = Path(__file__).resolve().parents[2]
SAMPLE = "tests/sample_module"


def sign_in(client, username):
    response = client.post("/console/sign-in/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_the_sample_module_lives_in_its_folder_and_installed_apps_only():
    assert "tests.sample_module" in settings.INSTALLED_APPS
    assert [m.name for m in modules.installed()][-1] == "tests.sample_module"
    # nothing outside its folder names it (but the settings line that installs it)
    found = subprocess.run(
        ["git", "grep", "-l", "sample_module", "--", "*.py", "*.toml", "*.html", "Makefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    outside = [f for f in found if not f.startswith((f"{SAMPLE}/", "tests/modules/"))]
    assert outside == ["src/custodesk/config/settings.py"], outside


@pytest.mark.django_db
def test_its_console_page_and_menu_entry_show_to_holders_of_its_permission(client, make_user):
    make_user("reader", roles=["sample_reader"])
    make_user("other", roles=["operator"])

    sign_in(client, "reader")
    home = client.get("/console/").content.decode()
    assert 'href="/console/sample/"' in home and "Sample notes" in home
    page = client.get("/console/sample/")
    assert page.status_code == 200
    assert 'data-testid="sample-page"' in page.content.decode()

    client.logout()
    sign_in(client, "other")
    home = client.get("/console/").content.decode()
    assert "/console/sample/" not in home
    assert client.get("/console/sample/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_its_api_route_is_served_over_http(api_client, make_user):
    make_user("reader", roles=["sample_reader"])
    make_user("other", roles=["operator"])
    notes.TICKS.clear()

    api = api_client()
    assert api.get("/sample/notes").status_code == 401
    assert api.sign_in("reader").status_code == 200
    answer = api.get("/sample/notes")
    assert answer.status_code == 200
    assert answer.json() == {"ticks": 0, "seeded": notes.SEEDED}
    assert "/api/v1/sample/notes" in api.get("/openapi.json").json()["paths"]

    other = api_client()
    other.sign_in("other")
    refused = other.get("/sample/notes")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_its_periodic_job_is_in_the_schedule_and_runs(clock):
    assert modules.schedule()["tests.sample_module.tasks.tick"] == 3600
    assert "tests.sample_module.tasks.tick" in schedule.tick(now=clock.now())
    result = DBTaskResult.objects.get(task_path="tests.sample_module.tasks.tick")
    assert result.status == "READY"

    from tests.sample_module import tasks

    before = len(notes.TICKS)
    assert tasks.tick.call() == before + 1


@pytest.mark.django_db
def test_its_permission_and_default_role_are_declared(admin):
    assert access.is_declared("sample.note.view")
    role = Role.objects.get(organisation=admin.organisation, code="sample_reader")
    assert role.name == "Sample reader"
    assert role.permissions == ["sample.note.view"]
    admin_role = Role.objects.get(organisation=admin.organisation, code="admin")
    assert "sample.note.view" in admin_role.permissions  # "*": every declared permission


@pytest.mark.django_db
def test_its_demo_step_runs_after_identity_s():
    notes.SEEDED.clear()
    steps = [s.seed for s in modules.demo_steps()]  # other modules' steps come and go
    assert steps[0] == "custodesk.identity.demo.seed"
    assert "tests.sample_module.demo.seed" in steps[1:]
    assert demo.seed(if_new=True) is True
    assert len(notes.SEEDED) == 1 and notes.SEEDED[0].startswith("seeded by admin at ")
