"""The enterprise's document archive: one zip or rar of at most 5 MB, kept as sent.

* While the request is read (:class:`ArchiveUploadHandler`, installed by the view
  before anything reads the body): only the ``archive`` field is taken, and the upload
  stops at the first chunk past the limit — Django's own handlers never hold more.
* When stored (:func:`store_archive`): read again in chunks, stopping at 5 MB + 1 byte,
  hashed with SHA-256 on the way, written under ``CUSTODESK_VAR_DIR/uploads/enterprise``
  and recognised by its signature (``zipfile.is_zipfile``, ``rarfile.is_rarfile``), not
  by its name.  Never extracted on the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import rarfile
from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    SkipFile,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import ValidationFailed
from custodesk.core.ids import uuid7

MAX_ARCHIVE_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024
FIELD = "archive"
UPLOAD_SUBDIR = Path("uploads") / "enterprise"
# the console wizard's archive between its steps (the form, then the SMS code)
PENDING_SUBDIR = Path("uploads") / "pending"
PENDING_KEEP = dt.timedelta(hours=24)
CONTENT_TYPES = {"zip": "application/zip", "rar": "application/vnd.rar"}


@dataclass(frozen=True)
class StoredArchive:
    path: str  # relative to VAR_DIR
    name: str
    size: int
    sha256: str
    kind: str


def too_large() -> ValidationFailed:
    return ValidationFailed.single(
        FIELD, "too_large", _("The archive must not be larger than 5 MB.")
    )


def _invalid(rule: str) -> ValidationFailed:
    messages = {
        "required": _("Upload the documents as one zip or rar archive."),
        "archive_type": _("The file is not a zip or rar archive."),
        "empty": _("The archive is empty."),
    }
    return ValidationFailed.single(FIELD, rule, messages[rule])


class ArchiveUploadHandler(FileUploadHandler):
    """First handler of the request: passes on the chunks of one ``archive`` file to
    the temporary-file handler after it and stops the upload when the file grows past
    the limit (``exceeded`` is then true); any other file is skipped unread."""

    def __init__(self, request: HttpRequest | None = None, limit: int = MAX_ARCHIVE_BYTES):
        super().__init__(request)
        self.limit = limit
        self.exceeded = False
        self.files = 0

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        return None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name != FIELD or self.files:
            raise SkipFile()
        self.files += 1

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def install_handler(request: HttpRequest) -> ArchiveUploadHandler:
    """Install the archive's handlers on ``request`` (before its body is read)."""
    handler = ArchiveUploadHandler(request)
    request.upload_handlers = [handler, TemporaryFileUploadHandler(request)]
    return handler


def declared_too_large(request: HttpRequest) -> bool:
    """The request says its body is larger than an archive and the form could be."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > MAX_ARCHIVE_BYTES + 256 * 1024


def _safe_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|*?:')
    return base.strip()[:200] or "archive"


def store_archive(stream: IO[bytes] | None, name: str, *, pending: bool = False) -> StoredArchive:
    """Write the archive under VAR_DIR; raises ValidationFailed (field ``archive``,
    rules ``required``, ``too_large``, ``empty``, ``archive_type``) and then keeps
    nothing."""
    if stream is None:
        raise _invalid("required")
    subdir = PENDING_SUBDIR if pending else UPLOAD_SUBDIR
    directory = Path(settings.VAR_DIR) / subdir
    directory.mkdir(parents=True, exist_ok=True)
    stem = uuid7().hex
    partial = directory / f"{stem}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("xb") as out:
            while True:
                chunk = stream.read(min(CHUNK, MAX_ARCHIVE_BYTES + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_ARCHIVE_BYTES:
                    raise too_large()
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise _invalid("empty")
        if zipfile.is_zipfile(partial):
            kind = "zip"
        elif rarfile.is_rarfile(partial):
            kind = "rar"
        else:
            raise _invalid("archive_type")
        final = directory / f"{stem}.{kind}"
        partial.rename(final)
        final.chmod(0o600)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredArchive(
        path=str(subdir / final.name),
        name=_safe_name(name),
        size=size,
        sha256=digest.hexdigest(),
        kind=kind,
    )


def discard(stored: StoredArchive) -> None:
    for pending in (False, True):
        try:
            absolute(stored.path, pending=pending).unlink(missing_ok=True)
        except FileNotFoundError:
            continue


def absolute(relative: str, *, pending: bool = False) -> Path:
    """The file of a stored archive; only under its own directory."""
    root = (Path(settings.VAR_DIR) / (PENDING_SUBDIR if pending else UPLOAD_SUBDIR)).resolve()
    path = (Path(settings.VAR_DIR) / relative).resolve()
    if root not in path.parents:
        raise FileNotFoundError(relative)
    return path


def download_name(name: str, kind: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem or 'archive'}.{kind}"


def sweep_pending(*, now: dt.datetime, older_than: dt.timedelta = PENDING_KEEP) -> int:
    """Delete the console wizard's archives nobody confirmed (the browser went away
    between its two steps); returns how many."""
    root = Path(settings.VAR_DIR) / PENDING_SUBDIR
    if not root.exists():
        return 0
    cutoff = (now - older_than).timestamp()
    removed = 0
    for path in root.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
