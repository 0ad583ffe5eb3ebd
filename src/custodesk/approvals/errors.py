from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, DomainError, PermissionDenied


class InitiatorCannotApprove(PermissionDenied):
    code = "initiator_cannot_approve"
    title = _("The initiator of a request cannot approve or reject it.")


class NotAnApprover(PermissionDenied):
    code = "not_an_approver"
    title = _("You are not an approver of this request at its current level.")


class AlreadyDecided(Conflict):
    code = "already_decided_by_you"
    title = _("You have already approved this request; another approver must decide.")


class RequestNotPending(Conflict):
    code = "request_not_pending"
    title = _("This request is no longer pending.")


class RequestExpired(Conflict):
    code = "request_expired"
    title = _("This request has expired and can no longer be decided.")


class DuplicatePendingRequest(Conflict):
    code = "duplicate_pending_request"
    title = _("An identical request is already waiting for approval.")


class NotTheInitiator(PermissionDenied):
    code = "not_the_initiator"
    title = _("Only the initiator can withdraw a request.")


class PreconditionFailed(DomainError):
    """A request's precondition stopped holding between submission and approval."""

    code = "precondition_failed"
    title = _("The request can no longer be carried out; nothing was changed.")
    status = 409


class CannotTransfer(Conflict):
    code = "cannot_transfer"
    title = _("The request cannot be transferred to this user.")


class DualControlRequired(DomainError):
    """A change to the controls would let one person act alone in dual-admin mode."""

    code = "dual_control_required"
    title = _("This change needs a second administrator and cannot be made automatic.")
    status = 422


class CannotCc(Conflict):
    code = "cannot_cc"
    title = _("A request can only be copied to users who could approve its current level.")
