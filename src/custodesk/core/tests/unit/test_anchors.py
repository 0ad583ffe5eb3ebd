"""Anchor logs: signed, chained, append-only lines outside the database."""

import datetime as dt
import json
import stat

import pytest
from django.test import override_settings

from custodesk.core import anchors

T0 = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "keys" / "anchor_key"
    with override_settings(CUSTODESK_ANCHOR_KEY="", CUSTODESK_ANCHOR_KEY_FILE=path):
        yield path


def _lines(log: str) -> list[str]:
    return anchors.log_path(log).read_text().splitlines()


def test_each_new_head_is_one_signed_line_linked_to_the_one_before(key_file, anchor_dir):
    first = anchors.append("demo", fields={"seq": 5, "hash": "a" * 64}, now=T0)
    assert first is not None and first.n == 1 and first.prev == anchors.NONE
    # the head has not moved: nothing written
    assert anchors.append("demo", fields={"seq": 5, "hash": "a" * 64}, now=T0) is None
    second = anchors.append(
        "demo", fields={"seq": 9, "hash": "b" * 64}, now=T0 + dt.timedelta(minutes=5)
    )
    assert second is not None and second.n == 2 and second.prev == first.mac

    lines = _lines("demo")
    assert len(lines) == 2
    payload, mac = lines[1].split("\t")
    assert json.loads(payload) == {
        "log": "demo", "n": 2, "at": "2026-11-23T01:35:00.000000Z",
        "seq": 9, "hash": "b" * 64, "prev": first.mac,
    }  # fmt: skip
    assert mac == second.mac

    reading = anchors.read("demo")
    assert reading.problems == []
    assert [(a.n, a.fields["seq"], a.line) for a in reading.anchors] == [(1, 5, 1), (2, 9, 2)]
    assert "anchor #2 of " in str(reading.anchors[1]) and "line 2" in str(reading.anchors[1])
    assert stat.S_IMODE(anchors.log_path("demo").stat().st_mode) == 0o640
    assert stat.S_IMODE(anchor_dir.stat().st_mode) == 0o750


def test_the_key_file_is_made_on_first_use_for_its_owner_only(key_file, anchor_dir):
    assert not key_file.exists()
    anchors.append("demo", fields={"seq": 1}, now=T0)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 64
    assert anchors.read("demo").problems == []


def test_a_line_signed_with_another_key_is_reported(anchor_dir):
    with override_settings(CUSTODESK_ANCHOR_KEY="the right key"):
        anchors.append("demo", fields={"seq": 1}, now=T0)
        assert anchors.read("demo").problems == []
    with override_settings(CUSTODESK_ANCHOR_KEY="another key"):
        reading = anchors.read("demo")
    assert reading.anchors == []
    assert [(p.line, p.problem) for p in reading.problems] == [
        (1, "bad signature (line changed, or signed with another key)")
    ]


def test_changed_and_removed_lines_are_reported(key_file, anchor_dir):
    for seq in (1, 2, 3, 4):
        anchors.append("demo", fields={"seq": seq}, now=T0)
    lines = _lines("demo")
    forged = lines[1].replace('"seq":2', '"seq":20')
    anchors.log_path("demo").write_text("\n".join([lines[0], forged, lines[3]]) + "\n")

    reading = anchors.read("demo")
    assert [str(p).split(": ", 1)[1] for p in reading.problems] == [
        "bad signature (line changed, or signed with another key)",
    ]
    assert reading.problems[0].line == 2
    assert [a.n for a in reading.anchors] == [1, 4]

    # without the forged line, the gap itself is found
    anchors.log_path("demo").write_text("\n".join([lines[0], lines[3]]) + "\n")
    [gap] = anchors.read("demo").problems
    assert (gap.line, gap.problem) == (
        2,
        "anchor #4 does not follow anchor #1 (anchors removed, reordered or changed)",
    )


def test_no_log_yet_means_no_anchors_and_no_problems(key_file, anchor_dir):
    reading = anchors.read("never-written")
    assert (reading.anchors, reading.problems) == ([], [])
