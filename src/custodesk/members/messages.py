"""The members module's message templates (the outbox's catalogue).

A login name and a temporary password are secrets of the template: they reach the
recipient through the outbox only and are blanked once the message is delivered; staff
see the message with them masked."""

from django.utils.translation import gettext_lazy as _

from custodesk.notify.catalog import MessageTemplate, register

CREDENTIALS = ("username", "password")

ENTERPRISE_APPROVED = register(
    MessageTemplate(
        code="members.enterprise_approved",
        channels=frozenset({"sms", "email"}),
        subject=_("Your custody member registration is approved"),
        body=_(
            "%(company)s is registered as a custody member. Your login name is %(username)s "
            "and your temporary password is %(password)s. Sign in, change the password and "
            "set up your authenticator app."
        ),
        secrets=CREDENTIALS,
        description=_("An enterprise registration was approved: the first login name"),
    )
)

ENTERPRISE_REJECTED = register(
    MessageTemplate(
        code="members.enterprise_rejected",
        channels=frozenset({"sms", "email"}),
        subject=_("Your custody member registration was not approved"),
        body=_("The registration of %(company)s was not approved: %(reason)s"),
        description=_("An enterprise registration was rejected, with the reason"),
    )
)

INDIVIDUAL_REGISTERED = register(
    MessageTemplate(
        code="members.individual_registered",
        channels=frozenset({"sms"}),
        subject=_("You are registered as a custody member"),
        body=_(
            "You are registered as a custody member. Your login name is %(username)s and your "
            "temporary password is %(password)s. Change the password when you first sign in."
        ),
        secrets=CREDENTIALS,
        description=_("An individual registered: the login name and initial password"),
    )
)

PASSWORD_RESET = register(
    MessageTemplate(
        code="members.password_reset",
        channels=frozenset({"sms"}),
        subject=_("Your custody member password was reset"),
        body=_(
            "Your login name is %(username)s and your temporary password is %(password)s. "
            "Change it when you next sign in. If you did not ask for this, call the bank."
        ),
        secrets=CREDENTIALS,
        description=_("A member reset a forgotten password: the temporary password"),
    )
)
