"""``ledger_book_one`` lives in one file, ``ledger/sql/ledger_book_one.sql``, which a
migration installs whole; a change to the file comes with a migration that installs it
again (docs/architecture.md, "Ledger")."""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

import custodesk.ledger

pytestmark = pytest.mark.django_db

SQL_FILE = Path(custodesk.ledger.__file__).parent / "sql" / "ledger_book_one.sql"


def _installing_migrations() -> list[tuple[str, str]]:
    """(migration name, the digest it names) of every ledger migration that installs the
    file, in the order the migration graph applies them."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaf = loader.graph.leaf_nodes("ledger")[0]
    found = []
    for app, name in loader.graph.forwards_plan(leaf):
        if app != "ledger":
            continue
        module = importlib.import_module(f"custodesk.ledger.migrations.{name}")
        digest = getattr(module, "BOOK_ONE_SHA256", None)
        if digest is not None:
            assert module.SQL_FILE.resolve() == SQL_FILE.resolve(), name
            found.append((name, digest))
    return found


def test_the_latest_installing_migration_names_the_files_digest():
    installs = _installing_migrations()
    assert installs, "no migration installs ledger/sql/ledger_book_one.sql"
    name, digest = installs[-1]
    now = hashlib.sha256(SQL_FILE.read_bytes()).hexdigest()
    assert digest == now, (
        f"ledger_book_one.sql changed since {name} installed it: add a migration that "
        f"installs it again, with BOOK_ONE_SHA256 = {now!r}"
    )


def test_the_installed_function_is_the_file():
    if connection.vendor != "postgresql":
        pytest.skip("the function exists on PostgreSQL only")
    text = SQL_FILE.read_text(encoding="utf-8")
    body = re.search(r"LANGUAGE plpgsql AS \$\$(.*)\$\$;", text, re.DOTALL)
    assert body is not None
    with connection.cursor() as cur:
        cur.execute("SELECT prosrc FROM pg_proc WHERE proname = 'ledger_book_one'")
        installed = [r[0] for r in cur.fetchall()]
    assert installed == [body.group(1)]  # one function, exactly the file's body
