"""A worker killed (SIGKILL) in the middle of a delivery loses nothing and sends
nothing twice to a receiver that deduplicates: a real ``custodesk worker`` process on
this test's database delivers a webhook to a receiver that processes it and then
holds the answer; the worker is killed there; a second worker, once the first one's
lease has run out, delivers it again with the same delivery id, and the receiver
acknowledges it without processing it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from custodesk.notify import services
from custodesk.testing.fixtures import process_env

LEASE_SECONDS = 3


def database_url() -> str:
    """The URL of the database this test runs on (the worker shares it)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return "sqlite:///" + str(Path(s["NAME"]).resolve())
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(tmp_path: Path) -> subprocess.Popen[str]:
    env = process_env(
        tmp_path,
        "killed-worker-test",
        CUSTODESK_DATABASE_URL=database_url(),
        CUSTODESK_NOTIFY_LEASE_SECONDS=str(LEASE_SECONDS),
        CUSTODESK_NOTIFY_TIMEOUT_SECONDS="120",
    )
    custodesk = str(Path(sys.executable).parent / "custodesk")
    return subprocess.Popen(
        [custodesk, "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
    tmp_path, clock, receiver, endpoint, enqueue
):
    clock.set(timezone.now())  # the workers run on the real clock
    hook = receiver(block_first=True)
    endpoint(hook.url)
    m = enqueue(channel="webhook", template="notify.test", recipient="hkex",
                context={"note": "margin call"})  # fmt: skip
    delivery = str(m.public_id)

    first = start_worker(tmp_path)
    try:
        # the worker sends; the receiver processes the message and holds its answer
        assert hook.arrived.wait(90), first.stderr.read() if first.poll() is not None else ""
        stop(first, signal.SIGKILL)  # killed before it could record the delivery
    finally:
        stop(first, signal.SIGKILL)
    m.refresh_from_db()
    assert (m.status, m.attempts) == ("pending", 1)
    assert m.leased_until is not None  # claimed by the dead worker, never finished
    hook.release.set()

    second = start_worker(tmp_path)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and m.status != "sent":
            assert second.poll() is None, second.stderr.read() if second.stderr else ""
            time.sleep(0.5)
            m.refresh_from_db()
    finally:
        stop(second)
    assert (m.status, m.attempts, m.last_error) == ("sent", 2, services.INTERRUPTED)
    assert m.secret_context is None and m.leased_until is None
    # delivered twice with the same id, processed once
    assert [r["delivery"] for r in hook.received] == [delivery, delivery]
    assert all(r["valid"] for r in hook.received)
    assert list(hook.processed) == [delivery] and len(hook.processed[delivery]) == 1
