from __future__ import annotations

from custodesk.core.modules import DemoRun

from . import notes


def seed(run: DemoRun) -> None:
    """Runs after identity's step, so its administrator is there to use."""
    notes.SEEDED.append(f"seeded by {run.actors['admin'].username} at {run.now.isoformat()}")
