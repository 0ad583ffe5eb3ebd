"""Demo data for `make run` / `custodesk demo`: each installed module's demo step
(``demo=`` in its ``module.py``), run in order through the services, like real use."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from custodesk.core import clock, context, modules
from custodesk.core.cli import cli_context


def seed(*, if_new: bool) -> bool:
    """Run every demo step; with ``if_new``, nothing when the database has users."""
    if if_new and get_user_model().objects.exists():
        return False
    run = modules.DemoRun(now=clock.now(), business_date=clock.business_date())
    with context.bind(cli_context()):
        for step in modules.demo_steps():
            import_string(step.seed)(run)
    return True


def notes() -> str:
    """What the demo steps tell a newcomer (logins ...)."""
    return "\n".join(
        import_string(step.notes)() for step in modules.demo_steps() if step.notes is not None
    )
