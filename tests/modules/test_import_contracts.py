"""The layers are checked, not hoped for: ``lint-imports`` (in ``make lint``) keeps the
contracts of pyproject.toml on the real tree, and breaks when a deliberately wrong
import is written into a scratch module of a copy of the tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.database_agnostic
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}  # ahead of the editable install
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_contracts_hold_on_the_tree(tmp_path):
    done = lint_imports(REPO / "src", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("scratch", "wrong_import", "broken"),
    [
        # the kernel reaching into a domain module
        ("core/scratch.py", "from custodesk.ledger import services", "The kernel (core)"),
        # the console shell reaching into a domain module
        ("console/scratch.py", "from custodesk.approvals import views", "The console shell"),
        # a module below importing one above it (a cycle in the making)
        ("audit/scratch.py", "from custodesk.approvals import services", "Layers:"),
        # a private name of another module (its console views)
        ("ledger/scratch.py", "from custodesk.identity import views", "identity's models"),
        # a new identity module nobody placed in a layer
        ("identity/scratch.py", "from custodesk.core import clock", "Every module of identity"),
    ],
)
def test_a_wrong_import_in_a_scratch_module_breaks_them(tmp_path, scratch, wrong_import, broken):
    src = tmp_path / "src"
    shutil.copytree(
        REPO / "src" / "custodesk",
        src / "custodesk",
        ignore=shutil.ignore_patterns("__pycache__", "tests", "locale", "static", "templates"),
    )
    (src / "custodesk" / scratch).write_text(f"{wrong_import}  # noqa: F401\n")
    done = lint_imports(src, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    report = " ".join(done.stdout.split())
    assert f"{broken}" in report and "BROKEN" in report, report
    assert "custodesk." + scratch.removesuffix(".py").replace("/", ".") in report, report
