"""The brokerage module's messages to clients (the outbox's catalogue), and the hook
that tells a client its account is open (BROKER-MANUAL C2: SMS + e-mail)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from custodesk.notify import services as notify
from custodesk.notify.catalog import MessageTemplate, register

from . import hooks
from .models import Client

APP_PASSWORD = register(
    MessageTemplate(
        code="brokerage.app_password",
        channels=frozenset({"sms", "email"}),
        subject=_("Your trading app password"),
        body=_(
            "Your trading app login is %(login_name)s and your temporary password is "
            "%(password)s. Change it when you sign in."
        ),
        secrets=("password",),
        description=_("A client's new or reset app password"),
    )
)
APP_LOGIN_NAME = register(
    MessageTemplate(
        code="brokerage.app_login_name",
        channels=frozenset({"email"}),
        subject=_("Your trading app login"),
        body=_(
            "Your trading app login is %(login_name)s. The password was sent to your phone by SMS."
        ),
        description=_("A client's app login name"),
    )
)
ACCOUNT_OPENED = register(
    MessageTemplate(
        code="brokerage.account_opened",
        channels=frozenset({"sms", "email"}),
        subject=_("Your securities account is open"),
        body=_("Your %(account_type)s securities account %(number)s is now open."),
        description=_("A client's new securities account is open"),
    )
)


@hooks.on_account_opened
def tell_client(event: hooks.AccountOpened) -> None:
    """SMS and e-mail to the client (whichever it has) that the account is open."""
    if event.bulk:
        return
    client = Client.objects.only("phone", "email").get(pk=event.client_id)
    context = {"number": event.number, "account_type": event.account_type}
    for channel, recipient in (("sms", client.phone), ("email", client.email)):
        if recipient:
            notify.enqueue(
                channel=channel,
                template=ACCOUNT_OPENED.code,
                recipient=recipient,
                context=context,
                now=event.now,
            )
