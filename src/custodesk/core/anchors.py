"""Anchor logs: the heads of the hash chains, kept outside the database (X-AUDIT).

The operation records and the ledger's seals are hash chains in the database; anyone
with DDL rights there could rewrite rows *and* their chain consistently.  So the worker
writes each chain's head, at a fixed interval, to an append-only file outside the
database — ``<CUSTODESK_ANCHOR_DIR>/<log>.log`` (default ``var/anchors/``) — one line per
anchor, signed with HMAC-SHA256 under a key the database does not hold
(``CUSTODESK_ANCHOR_KEY``, else a key file made on first use with mode 0600).  ``audit
verify`` and ``ledger verify`` then check the chains against every anchor.

A line is ``<canonical JSON>\\t<HMAC hex>``; the JSON names the log, the anchor's number
``n`` (1, 2, ...), the time ``at`` (UTC), what is anchored, and ``prev`` — the previous
line's HMAC — so a line removed from the middle or reordered is found as well.  Lines are
appended under an exclusive ``flock`` and synced to disk.  An anchor is written only
when the head has moved since the last one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

NONE = "0" * 64  # the ``prev`` of a log's first line
_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Anchor:
    """One signed line of an anchor log."""

    log: str
    n: int
    at: str
    fields: dict[str, Any]
    prev: str
    mac: str
    path: Path
    line: int

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"anchor #{self.n} of {self.path} ({where}{self.at})"


@dataclass(frozen=True)
class LogProblem:
    """A line of an anchor log that cannot be trusted, or a gap between lines."""

    path: Path
    line: int
    problem: str

    def __str__(self) -> str:
        return f"anchor log {self.path} line {self.line}: {self.problem}"


@dataclass
class Reading:
    anchors: list[Anchor] = field(default_factory=list)
    problems: list[LogProblem] = field(default_factory=list)


def log_path(log: str) -> Path:
    return Path(settings.CUSTODESK_ANCHOR_DIR) / f"{log}.log"


def key() -> bytes:
    """The signing key: ``CUSTODESK_ANCHOR_KEY``, else the key file (made on first use,
    readable by its owner only)."""
    if settings.CUSTODESK_ANCHOR_KEY:
        return str(settings.CUSTODESK_ANCHOR_KEY).encode()
    path = Path(settings.CUSTODESK_ANCHOR_KEY_FILE)
    try:
        return path.read_text().strip().encode()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it just now
        return path.read_text().strip().encode()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path.read_text().strip().encode()


def _mac(payload: bytes, secret: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _parse(raw: bytes, secret: bytes, path: Path, line: int) -> Anchor | LogProblem:
    payload, sep, mac = raw.rstrip(b"\n").rpartition(b"\t")
    if not sep:
        return LogProblem(path, line, "not an anchor line")
    if not hmac.compare_digest(_mac(payload, secret), mac.decode("ascii", "replace")):
        return LogProblem(path, line, "bad signature (line changed, or signed with another key)")
    body = json.loads(payload)
    log, n, at, prev = body.pop("log"), body.pop("n"), body.pop("at"), body.pop("prev")
    return Anchor(log, n, at, body, prev, mac.decode(), path, line)


def _last_line(f: Any) -> bytes | None:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(max(0, size - _TAIL_BYTES))
    lines = [ln for ln in f.read().split(b"\n") if ln.strip()]
    return lines[-1] if lines else None


def _claimed_n(raw: bytes) -> int:
    try:
        return int(json.loads(raw.rpartition(b"\t")[0])["n"])
    except (ValueError, KeyError, TypeError):
        return 0


def append(log: str, *, fields: dict[str, Any], now: dt.datetime) -> Anchor | None:
    """Append an anchor of ``fields`` to ``log``; None when the last anchor already says
    the same (the head has not moved)."""
    path = log_path(log)
    path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    secret = key()
    with open(path, "a+b", opener=lambda p, flags: os.open(p, flags, 0o640)) as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # one writer at a time (several workers may run)
        raw = _last_line(f)
        last = _parse(raw, secret, path, 0) if raw is not None else None
        if isinstance(last, Anchor) and last.fields == fields:
            return None
        if isinstance(last, Anchor):
            n, prev = last.n + 1, last.mac
        elif raw is not None:  # an untrustworthy last line: chain on, verify reports it
            n, prev = _claimed_n(raw) + 1, raw.rpartition(b"\t")[2].decode("ascii", "replace")
        else:
            n, prev = 1, NONE
        at = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload = _canonical({**fields, "log": log, "n": n, "at": at, "prev": prev})
        mac = _mac(payload, secret)
        f.write(payload + b"\t" + mac.encode() + b"\n")
        f.flush()
        os.fsync(f.fileno())
    return Anchor(log, n, at, dict(fields), prev, mac, path, 0)


def read(log: str) -> Reading:
    """Every anchor of ``log`` whose signature holds, and every problem of the log:
    lines that fail their signature, numbers out of order, links to a previous line
    that is missing or changed.  No file: no anchors, no problems."""
    path = log_path(log)
    out = Reading()
    if not path.exists():
        return out
    secret = key()
    expected_n, expected_prev = 1, NONE
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            parsed = _parse(raw, secret, path, number)
            if isinstance(parsed, LogProblem):
                out.problems.append(parsed)
                expected_n, expected_prev = 0, ""  # unknown: judge the next line alone
                continue
            if parsed.log != log:
                out.problems.append(LogProblem(path, number, f"an anchor of {parsed.log!r}"))
            if expected_n and (parsed.n != expected_n or parsed.prev != expected_prev):
                after = f"anchor #{expected_n - 1}" if expected_n > 1 else "the log's start"
                out.problems.append(
                    LogProblem(
                        path,
                        number,
                        f"anchor #{parsed.n} does not follow {after} "
                        "(anchors removed, reordered or changed)",
                    )
                )
            out.anchors.append(parsed)
            expected_n, expected_prev = parsed.n + 1, parsed.mac
    return out
