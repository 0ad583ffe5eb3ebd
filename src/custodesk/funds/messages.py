"""The funds module's message templates (the outbox's catalogue)."""

from django.utils.translation import gettext_lazy as _

from custodesk.notify.catalog import MessageTemplate, register

BALANCE_CHANGED = register(
    MessageTemplate(
        code="funds.balance_changed",
        channels=frozenset({"webhook"}),
        description=_(
            "A market is told of a member's deposit or withdrawal and its new available balance"
        ),
    )
)
