from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import DomainError


class CardVerifierUnavailable(DomainError):
    """The card-authentication network did not answer (a real adapter's timeout)."""

    code = "card_verifier_unavailable"
    title = _("Card authentication is not available at the moment. Try again later.")
    status = 503
