"""One hierarchy of domain errors.

Services raise subclasses of :class:`DomainError`, named as facts
(``AccountLocked``, ``InitiatorCannotApprove``).  The API renders them as
RFC 9457 ``application/problem+json`` with a stable ``code``; the console shows
the translated title (and field errors) on the page.  Anything that is not a
DomainError is a bug: logged, and a bare 500 to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FieldError:
    """One broken rule: the field (dotted path), the rule's code, a human message."""

    field: str
    rule: str
    message: str | Promise

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": str(self.message)}


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    title: ClassVar[str | Promise] = _("The request could not be carried out.")
    status: ClassVar[int] = 400

    def __init__(self, detail: str | Promise | None = None, **data: Any) -> None:
        self.detail = detail
        self.data = data
        # response headers the API sends with the problem (e.g. Idempotency-Replayed)
        self.headers: dict[str, str] = {}
        super().__init__(str(detail or self.title))

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:custodesk:problem:{self.code}",
            "title": str(self.title),
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = str(self.detail)
        for key, value in self.data.items():
            # an object's ``status`` (say "closed") must not replace the problem's (409)
            body[_DATA_KEYS.get(key, key)] = value
        return body


# Data named like a member of the problem itself is published under another name.
_DATA_KEYS = {
    "status": "state",
    "type": "object_type",
    "title": "object_title",
    "code": "object_code",
    "detail": "object_detail",
    "instance": "object_instance",
    "errors": "object_errors",
}


class ValidationFailed(DomainError):
    code = "validation_failed"
    title = _("Some fields are not valid.")
    status = 422

    def __init__(self, errors: Iterable[FieldError], detail: str | Promise | None = None) -> None:
        self.errors = list(errors)
        super().__init__(detail)

    def problem(self) -> dict[str, Any]:
        body = super().problem()
        body["errors"] = [e.as_dict() for e in self.errors]
        return body

    def __str__(self) -> str:  # logs and test reports name the fields and rules
        fields = "; ".join(f"{e.field}: {e.rule}" for e in self.errors)
        return f"{super().__str__()} [{fields}]" if fields else super().__str__()

    @classmethod
    def single(cls, field: str, rule: str, message: str | Promise) -> ValidationFailed:
        return cls([FieldError(field, rule, message)])


class NotFound(DomainError):
    """Also what a caller gets for data outside its organisation."""

    code = "not_found"
    title = _("Not found.")
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    title = _("You do not have permission to do this.")
    status = 403


class AuthenticationRequired(DomainError):
    code = "authentication_required"
    title = _("Sign in first.")
    status = 401


class Conflict(DomainError):
    code = "conflict"
    title = _("The request conflicts with the current state.")
    status = 409


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = _("This action is not allowed in the object's current state.")
