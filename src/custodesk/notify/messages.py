"""The outbox's own message templates: the ones several modules share (credentials,
one-time codes) and a test message for checking a channel's configuration.  Modules
declare their own beside their services (``catalog.register``)."""

from django.utils.translation import gettext_lazy as _

from .catalog import MessageTemplate, register

ALL = frozenset({"sms", "email", "webhook"})
TEXT = frozenset({"sms", "email"})

TEST = register(
    MessageTemplate(
        code="notify.test",
        channels=ALL,
        subject=_("Custodesk test message"),
        body=_("This is a test message from Custodesk: %(note)s"),
        description=_("A test of a channel's configuration"),
    )
)
ONE_TIME_CODE = register(
    MessageTemplate(
        code="notify.one_time_code",
        channels=TEXT,
        subject=_("Your Custodesk verification code"),
        body=_(
            "Your Custodesk verification code is %(code)s. It expires in %(minutes)s "
            "minutes. Never tell it to anyone, including our staff."
        ),
        secrets=("code",),
        description=_("A one-time code for signing in or confirming an action"),
    )
)
CREDENTIALS = register(
    MessageTemplate(
        code="notify.credentials",
        channels=TEXT,
        subject=_("Your Custodesk sign-in"),
        body=_(
            "Your Custodesk login name is %(username)s and your temporary password is "
            "%(password)s. You will be asked to choose a new password when you first "
            "sign in."
        ),
        secrets=("password",),
        description=_("A login name and a temporary password"),
    )
)
