"""The notices a client gets when a work order changed its client or accounts (the
outbox's catalogue), written in the client's language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from custodesk.notify.catalog import MessageTemplate, register

Text = str | Promise
BOTH = frozenset({"sms", "email"})


def _notice(code: str, subject: Text, body: Text, description: Text) -> MessageTemplate:
    return register(
        MessageTemplate(
            code=code, channels=BOTH, subject=subject, body=body, description=description
        )
    )


CLIENT_FROZEN = _notice(
    "workorders.client_frozen",
    _("Your client account is frozen"),
    _(
        "Your client account %(client_no)s is frozen: you cannot sign in to the trading app. "
        "Contact us for details."
    ),
    _("A client was frozen by a work order"),
)
CLIENT_UNFROZEN = _notice(
    "workorders.client_unfrozen",
    _("Your client account is active again"),
    _("Your client account %(client_no)s is active again: you can sign in to the trading app."),
    _("A client was unfrozen by a work order"),
)
CLIENT_CLOSED = _notice(
    "workorders.client_closed",
    _("Your client account is closed"),
    _("Your client account %(client_no)s is closed. Thank you for trading with us."),
    _("A client was closed by a work order"),
)
ACCOUNT_FROZEN = _notice(
    "workorders.account_frozen",
    _("Your securities account is frozen"),
    _(
        "Your securities account %(accounts)s is frozen: no trading, deposits or withdrawals. "
        "Contact us for details."
    ),
    _("Accounts were frozen by a work order"),
)
ACCOUNT_UNFROZEN = _notice(
    "workorders.account_unfrozen",
    _("Your securities account is active again"),
    _("Your securities account %(accounts)s is active again."),
    _("Accounts were unfrozen by a work order"),
)
ACCOUNT_CLOSED = _notice(
    "workorders.account_closed",
    _("Your securities account is closed"),
    _("Your securities account %(accounts)s is closed."),
    _("Accounts were closed by a work order"),
)
CLIENT_DATA_CHANGED = _notice(
    "workorders.client_data_changed",
    _("Your details were changed"),
    _("The details of your client account %(client_no)s were changed as you asked."),
    _("A client's data was changed by a work order (when the order says to notify)"),
)
