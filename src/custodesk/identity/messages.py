"""Identity's message templates (the outbox's catalogue): what a user is told."""

from django.utils.translation import gettext_lazy as _

from custodesk.notify.catalog import MessageTemplate, register

LOCKED_OUT = register(
    MessageTemplate(
        code="identity.locked_out",
        channels=frozenset({"sms", "email"}),
        subject=_("Your Custodesk sign-in is locked"),
        body=_(
            "There were too many failed attempts to sign in as %(username)s, so sign-in is "
            "locked until %(until)s (UTC). If this was not you, tell your administrator."
        ),
        description=_("A user's sign-in was locked after failed attempts"),
    )
)
