from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, IllegalTransition, NotFound


class MessageNotFound(NotFound):
    code = "message_not_found"
    title = _("No such outbox message.")


class EndpointNotFound(NotFound):
    code = "endpoint_not_found"
    title = _("No such webhook endpoint.")


class MessageAlreadySent(IllegalTransition):
    code = "message_already_sent"
    title = _("This message has been sent; it can be neither retried nor given up.")


class MessageInDelivery(Conflict):
    code = "message_in_delivery"
    title = _("A worker is delivering this message right now; try again in a minute.")


class MessageNotRetryable(IllegalTransition):
    code = "message_not_retryable"
    title = _("Only a failed message or one given up can be retried.")


class SecretsBlanked(IllegalTransition):
    code = "message_secrets_blanked"
    title = _(
        "This message carried a secret (a password or a one-time code) that was blanked "
        "when it was given up; issue a new one instead of retrying."
    )
