"""A server worker builds at its start what its first callers would otherwise wait for.

Loaded in a clean interpreter, as a uWSGI worker loads it (``--lazy-apps``): after
``custodesk.config.wsgi`` is imported, the middleware chain, the URLconf and the API
behind it and every language's catalogue are already there, frozen out of the garbage
collector's way, and no database connection was opened for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from custodesk.testing.fixtures import process_env

PROBE = """
import json, sys
from django.db import connections
import custodesk.config.wsgi as w
from django.utils.translation import trans_real
print(json.dumps({
    "modules": [m for m in ("custodesk.config.urls", "custodesk.config.api",
                            "custodesk.ledger.api", "custodesk.ledger.schemas")
                if m in sys.modules],
    "middleware_loaded": w.application._middleware_chain is not None,
    "catalogues": sorted(trans_real._translations),
    "connections_opened": [a for a in connections if connections[a].connection is not None],
    "frozen": __import__("gc").get_freeze_count(),
}))
"""


@pytest.mark.database_agnostic
def test_the_wsgi_module_builds_the_api_before_any_request(tmp_path: Path):
    env = process_env(tmp_path, "warm-up-test", DJANGO_SETTINGS_MODULE="custodesk.config.settings")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded["modules"] == [
        "custodesk.config.urls",
        "custodesk.config.api",
        "custodesk.ledger.api",
        "custodesk.ledger.schemas",
    ]
    assert loaded["middleware_loaded"] is True
    assert {"zh-hant", "zh-hans", "en"} <= set(loaded["catalogues"])
    assert loaded["connections_opened"] == []
    # what the worker loaded is out of the cyclic collector's way (no full-collection
    # pauses walking it under load)
    assert loaded["frozen"] > 50_000
