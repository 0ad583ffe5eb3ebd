"""Permissions: declared in code by each module, granted through roles.

A module declares what can be done in its ``permissions.py``::

    access.declare("identity.user.view", _("View users"), group=_("Users & roles"))

and its services call :func:`require` with the acting principal.  Roles (see
``custodesk.identity``) hold lists of these codes; the console menu is built
from the same codes, so what a user cannot use, it does not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.functional import Promise

from .errors import NotFound, PermissionDenied


class Principal(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def organisation_id(self) -> int: ...

    def has_permission(self, code: str) -> bool: ...

    def sees_organisation(self, organisation_id: int) -> bool: ...

    def is_staff_member(self) -> bool: ...


@dataclass(frozen=True)
class PermissionDef:
    code: str
    label: str | Promise
    group: str | Promise
    staff_only: bool = False


_registry: dict[str, PermissionDef] = {}
_staff_only: set[str] = set()


def declare(
    code: str, label: str | Promise, *, group: str | Promise, staff_only: bool = False
) -> str:
    """Declare a permission.  ``staff_only``: only users of the staff organisation (the
    bank or broker itself) ever hold it — a role of a member or market organisation can
    neither be given it nor pass it on, whatever its list says."""
    if code in _registry and _registry[code].label != label:
        raise ValueError(f"permission {code!r} declared twice")
    _registry[code] = PermissionDef(code, label, group, staff_only)
    if staff_only:
        _staff_only.add(code)
    return code


def is_staff_only(code: str) -> bool:
    return code in _staff_only


def effective_codes(codes: set[str] | frozenset[str], *, staff: bool) -> frozenset[str]:
    """What a user holds from its roles' ``codes``: staff-only ones only within staff."""
    if staff or not _staff_only:
        return frozenset(codes)
    return frozenset(c for c in codes if c not in _staff_only)


def all_permissions() -> list[PermissionDef]:
    return sorted(_registry.values(), key=lambda p: p.code)


def is_declared(code: str) -> bool:
    return code in _registry


def require(actor: Principal, code: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` holds ``code``."""
    if not is_declared(code):
        raise ValueError(f"undeclared permission {code!r}")
    if not actor.has_permission(code):
        raise PermissionDenied(permission=code)


def require_visible(actor: Principal, organisation_id: int, what: str = "object") -> None:
    """Data outside what the actor may see is reported as *not found*, never 403."""
    if not actor.sees_organisation(organisation_id):
        raise NotFound(object=what)
