"""The members module's domain errors (problem codes)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import DomainError, IllegalTransition


class CardAuthenticationFailed(DomainError):
    """The card verifier said no: ``reason`` is its code (``card_name_mismatch`` …);
    nothing was registered — the applicant may try another card (and a new SMS code)."""

    code = "card_authentication_failed"
    title = _("The card could not be authenticated. Check the details or use another card.")
    status = 422


class RecoveryRefused(DomainError):
    """One answer for every wrong combination of a forgotten-password request: it does
    not tell which part did not match, nor whether the member exists."""

    code = "recovery_refused"
    title = _("These details do not match a member we can reset. Check them and try again.")
    status = 422


class ApplicationNotPending(IllegalTransition):
    code = "application_not_pending"
    title = _("This application has already been reviewed.")


class AlreadyMember(DomainError):
    code = "already_member"
    title = _("A member with this ID number is already registered.")
    status = 409
