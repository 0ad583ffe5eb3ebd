"""Periodic jobs run by themselves: the schedule enqueues each due job once, however
many workers tick, and ``custodesk worker`` really voids a timed-out hold and seals
transfers with nobody running a command."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from custodesk.core import modules, schedule
from custodesk.core.models import ScheduledJob
from custodesk.testing.fixtures import process_env

EVERY = modules.schedule()


def enqueued_tasks() -> list[str]:
    return sorted(DBTaskResult.objects.values_list("task_path", flat=True))


@pytest.mark.django_db
def test_each_job_is_enqueued_when_due_and_only_then(clock, monkeypatch):
    # the jobs every 15 s or slower (the outbox's every 5 s would be due at each step)
    every = {p: s for p, s in EVERY.items() if s >= 15}
    monkeypatch.setattr(modules, "schedule", lambda: every)
    t0 = clock.now()
    assert sorted(schedule.tick(now=t0)) == sorted(every)  # a new schedule: all due
    assert enqueued_tasks() == sorted(every)
    assert schedule.tick(now=t0) == []  # a second worker ticking at the same moment
    assert schedule.tick(now=t0 + dt.timedelta(seconds=14)) == []

    fifteen = schedule.tick(now=t0 + dt.timedelta(seconds=15))
    assert fifteen == ["custodesk.ledger.tasks.expire_holds_and_freezes"]
    sixty = schedule.tick(now=t0 + dt.timedelta(seconds=60))
    assert sorted(sixty) == [
        "custodesk.approvals.tasks.expire_requests",
        "custodesk.funds.tasks.reconcile_rail",
        "custodesk.ledger.tasks.expire_holds_and_freezes",
        "custodesk.ledger.tasks.seal_transfers",
    ]
    job = ScheduledJob.objects.get(task="custodesk.ledger.tasks.seal_transfers")
    assert job.last_enqueued_at == t0 + dt.timedelta(seconds=60)
    assert job.next_run_at == t0 + dt.timedelta(seconds=120)
    assert DBTaskResult.objects.filter(pk=job.last_result_id).exists()
    assert len(enqueued_tasks()) == len(every) + 1 + 4


@pytest.mark.django_db
def test_a_worker_down_for_an_hour_runs_each_job_once_when_it_is_back(clock):
    t0 = clock.now()
    schedule.tick(now=t0)
    later = schedule.tick(now=t0 + dt.timedelta(hours=1))
    assert sorted(later) == sorted(
        p for p, every in EVERY.items() if every <= 3600
    )  # once each, not once per missed interval
    assert len(enqueued_tasks()) == len(EVERY) + len(later)


SETUP = """
import datetime as dt, json
import django; django.setup()
from django.core.management import call_command
from django.utils import timezone
call_command("migrate", verbosity=0)
from custodesk.ledger import services
now = timezone.now()
a = services.account_open(actor=None, code="SRC", kind="bank_clearing", currency="HKD", now=now)
b = services.account_open(actor=None, code="DST", kind="member_sub", currency="HKD", now=now)
[hold] = services.book([services.TransferSpec(a.pk, b.pk, 500, "HKD", flag="pending",
                        timeout_seconds=1)], now=now, business_date=timezone.localdate(now))
print(json.dumps({"hold": hold.transfer["internal_id"]}))
"""

STATE = """
import json, sys
import django; django.setup()
from custodesk.ledger.models import LedgerTransfer, TransferSeal
from custodesk.ledger import services
t = LedgerTransfer.objects.get(pk=int(sys.argv[1]))
print(json.dumps({"state": t.pending_state, "seals": TransferSeal.objects.count(),
                  "verify": [str(v) for v in services.verify()]}))
"""


@pytest.mark.database_agnostic
def test_the_worker_voids_a_timed_out_hold_and_seals_by_itself(tmp_path: Path):
    """``custodesk worker`` as ``make run`` starts it, on its own SQLite database."""
    env = process_env(tmp_path, "schedule-test", DJANGO_SETTINGS_MODULE="custodesk.config.settings")

    def python(code: str, *args: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    hold = str(python(SETUP)["hold"])
    time.sleep(1.1)  # the hold's timeout passes while no worker runs
    assert python(STATE, hold)["state"] == "pending"
    custodesk = str(Path(sys.executable).parent / "custodesk")
    worker = subprocess.Popen(
        [custodesk, "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        state = python(STATE, hold)
        while time.monotonic() < deadline and (state["state"] != "expired" or not state["seals"]):
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            time.sleep(0.5)
            state = python(STATE, hold)
        assert state == {"state": "expired", "seals": 1, "verify": []}
    finally:
        worker.terminate()
        worker.wait(timeout=30)
