"""The work-order centre's refusals (custodesk.core.errors)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, IllegalTransition, NotFound


class OrderNotFound(NotFound):
    code = "not_found"
    title = _("No such work order.")

    def __init__(self, **data: Any) -> None:
        super().__init__(object="work_order", **data)


class OrderStateConflict(IllegalTransition):
    """The order's status does not allow the step (e.g. cancel an executed order)."""

    code = "order_state"
    title = _("The work order's status does not allow this.")

    def __init__(self, *, action: str, status: str, **data: Any) -> None:
        super().__init__(None, action=action, status=status, **data)


class TargetNotAllowed(Conflict):
    """The target's state does not allow the kind (checked at submission and approval)."""

    code = "target_state"
    title = _("The target's state does not allow this work order.")
