"""The import's refusals (custodesk.core.errors)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, IllegalTransition, NotFound


class ImportNotFound(NotFound):
    def __init__(self, **data: Any) -> None:
        super().__init__(object="work_order_import", **data)


class ImportStateConflict(IllegalTransition):
    """Confirming an import that is still being checked, or already confirmed."""

    code = "import_state"
    title = _("The import's status does not allow this.")

    def __init__(self, *, action: str, status: str, **data: Any) -> None:
        super().__init__(None, action=action, status=status, **data)


class NothingToImport(Conflict):
    code = "import_no_valid_rows"
    title = _("No row of this file is valid: there is nothing to create.")
