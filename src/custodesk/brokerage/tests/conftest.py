from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def checker(make_user: Any) -> Any:
    """A second administrator: the checker of the approvable brokerage commands."""
    return make_user("checker", roles=["admin"])
