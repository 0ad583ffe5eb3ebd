from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custodesk.testing.markets import create_market


@pytest.fixture
def officer(make_user: Callable[..., Any]) -> Any:
    """A second staff user who may approve market actions (role ``market_officer``)."""
    return make_user("olivia", roles=["market_officer"])


@pytest.fixture
def market(admin: Any, officer: Any, clock: Any) -> Any:
    return create_market(admin, officer, now=clock.now())
