"""Modules register themselves: each app declares what it adds, in its own ``module.py``.

An installed app (``INSTALLED_APPS``) that has a ``module.py`` defining ``MODULE`` (a
:class:`Module`) takes part; nothing else names it.  At start (``CoreConfig.ready``)
every declaration is read, and the kernel's extension points collect from them:

=================  ==========================================  ===========================
what               declared as                                 collected by
=================  ==========================================  ===========================
console pages      ``console_urls="<app>.urls"``               ``console/urls.py`` (/console/)
API routes         ``api=ApiRouter("/prefix", "<app>.api")``   ``config/api.py`` (/api/v1/)
menu entries       ``menu=(MenuSection(...), MenuItem(...))``  ``console/menu.py``
top-bar badges     ``badges=("<app>.views.badge",)``           ``console/context_processors``
periodic jobs      ``schedule={"<app>.tasks.job": seconds}``   ``core/schedule.py`` (worker)
permissions        ``permissions="<app>.permissions"``         imported at start
default roles      ``roles=(BuiltinRole("auditor", ...),)``    ``identity`` (by org. kind)
demo step          ``demo=DemoStep("<app>.demo.seed", 50)``    ``custodesk demo``
start-up imports   ``imports=("<app>.approvals",)``            imported at start
API tokens         ``api_auth="<app>.apiauth.authenticate"``   ``core/apiauth.py`` (one app)
refusals (403)     ``refusals="<app>.x.record"``               API and console error pages
=================  ==========================================  ===========================

The kernel imports no domain module by name: it reads the declarations of whatever is
installed.  Adding a module touches its own folder and ``INSTALLED_APPS`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.utils.functional import Promise
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class MenuSection:
    """A heading of the console's left menu; any module may declare one (first one wins)."""

    key: str
    label: str | Promise
    order: int


@dataclass(frozen=True)
class MenuItem:
    """An entry under ``section``; shown to users holding ``permission`` (None: everyone)
    whose organisation is of one of ``kinds`` ("staff", "market", "member"; None: every
    kind)."""

    section: str
    label: str | Promise
    url_name: str
    permission: str | None = None
    order: int = 100
    kinds: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ApiRouter:
    """A django-ninja ``Router`` (``router`` attribute of module ``path``) mounted at
    ``/api/v1<prefix>``.  Routers are mounted by ``order`` (URL patterns are tried in
    that order, so the busiest API comes first)."""

    prefix: str
    path: str
    order: int = 100
    attribute: str = "router"


@dataclass(frozen=True)
class BuiltinRole:
    """A default role of the organisations of ``kinds`` ("staff", "market", "member"),
    made when such an organisation is.  Several modules may name the same role: the
    permissions and kinds add up; one of them gives the label.  ``("*",)``: every
    declared permission (outside staff, every one that is not staff-only)."""

    code: str
    permissions: Sequence[str] = ()
    label: str | Promise | None = None
    kinds: tuple[str, ...] = ("staff",)


@dataclass
class DemoRun:
    """What the demo steps share: one moment, actors made by earlier steps, and lines
    for the newcomer printed at the end."""

    now: dt.datetime
    business_date: dt.date
    actors: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    """``seed``: dotted path of ``f(run: DemoRun) -> None``; steps run by ``order``.
    ``notes``: dotted path of ``f() -> str`` printed after ``custodesk demo``."""

    seed: str
    order: int = 100
    notes: str | None = None


@dataclass(frozen=True)
class Module:
    """What one app adds to the running system (see the module docstring)."""

    console_urls: str | None = None
    api: ApiRouter | None = None
    menu: Sequence[MenuSection | MenuItem] = ()
    badges: Sequence[str] = ()
    schedule: Mapping[str, int] = field(default_factory=dict)
    permissions: str | None = None
    roles: Sequence[BuiltinRole] = ()
    demo: DemoStep | None = None
    imports: Sequence[str] = ()
    api_auth: str | None = None
    # f(*, user, code, detail, now) -> None: keeps a refusal (403) the API or console answers
    refusals: str | None = None


@dataclass(frozen=True)
class Installed:
    label: str
    name: str
    module: Module


@cache
def installed() -> tuple[Installed, ...]:
    """The declarations of the installed apps, in ``INSTALLED_APPS`` order."""
    out = []
    for app in apps.get_app_configs():
        try:
            mod = import_module(f"{app.name}.module")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app.name}.module":
                raise  # module.py exists but imports something missing
            continue
        declared = getattr(mod, "MODULE", None)
        if not isinstance(declared, Module):
            raise TypeError(f"{app.name}.module.MODULE must be a custodesk.core.modules.Module")
        out.append(Installed(app.label, app.name, declared))
    return tuple(out)


def load() -> None:
    """Import what each module declares to be imported at start (its permissions,
    approvable actions ...) and check the declarations refer to things that exist."""
    for m in installed():
        for path in (m.module.permissions, *m.module.imports):
            if path:
                import_module(path)
    schedule()
    menu()
    api_authenticator()
    refusal_recorders()


@cache
def api_authenticator() -> Callable[..., Any]:
    """``f(request, token, *, allow_password_change) -> session | None`` of the one
    module that issues API tokens."""
    declared = [m.module.api_auth for m in installed() if m.module.api_auth]
    if len(declared) != 1:
        raise LookupError(f"exactly one module must declare api_auth, not {declared}")
    return import_string(declared[0])


@cache
def refusal_recorders() -> tuple[Callable[..., None], ...]:
    return tuple(import_string(m.module.refusals) for m in installed() if m.module.refusals)


def record_refusal(*, user: Any, code: str, detail: str, now: dt.datetime) -> None:
    """A request refused for want of a permission (403): each module that keeps such
    refusals (identity's security events) is told, where the error is answered."""
    for record in refusal_recorders():
        record(user=user, code=code, detail=detail, now=now)


def console_urls() -> list[str]:
    return [m.module.console_urls for m in installed() if m.module.console_urls]


def api_routers() -> list[tuple[str, Any]]:
    """``(prefix, router)`` pairs in mounting order."""
    declared = sorted(
        (m.module.api for m in installed() if m.module.api), key=lambda r: (r.order, r.prefix)
    )
    return [(r.prefix, getattr(import_module(r.path), r.attribute)) for r in declared]


@cache
def menu() -> tuple[list[MenuSection], list[MenuItem]]:
    sections: dict[str, MenuSection] = {}
    items: dict[str, MenuItem] = {}
    for m in installed():
        for entry in m.module.menu:
            if isinstance(entry, MenuSection):
                sections.setdefault(entry.key, entry)
            else:
                items.setdefault(entry.url_name, entry)
    for item in items.values():
        if item.section not in sections:
            raise LookupError(f"menu item {item.url_name!r}: no section {item.section!r}")
    return sorted(sections.values(), key=lambda s: s.order), sorted(
        items.values(), key=lambda i: i.order
    )


@cache
def badges() -> tuple[Callable[[Any], dict[str, Any] | None], ...]:
    return tuple(import_string(path) for m in installed() for path in m.module.badges)


@cache
def schedule() -> dict[str, int]:
    """Periodic jobs: a task's import path -> its interval in seconds."""
    out: dict[str, int] = {}
    for m in installed():
        for path, every in m.module.schedule.items():
            if path in out or every <= 0:
                raise ValueError(f"periodic job {path!r}: declared twice or interval <= 0")
            out[path] = every
    return out


def builtin_roles(kind: str = "staff") -> dict[str, tuple[str | Promise, list[str]]]:
    """The default roles of an organisation of ``kind``: code -> (label, permission
    codes).  A role's permissions add up over every declaration of its code, whatever
    kinds each names; the role exists for the union of the kinds declared."""
    labels: dict[str, str | Promise] = {}
    codes: dict[str, list[str]] = {}
    kinds: dict[str, set[str]] = {}
    for m in installed():
        for role in m.module.roles:
            if role.label is not None:
                labels.setdefault(role.code, role.label)
            wanted = codes.setdefault(role.code, [])
            wanted += [c for c in role.permissions if c not in wanted]
            kinds.setdefault(role.code, set()).update(role.kinds)
    missing = sorted(set(codes) - set(labels))
    if missing:
        raise LookupError(f"default roles without a label: {missing}")
    return {
        code: (labels[code], ["*"] if "*" in codes[code] else codes[code])
        for code in codes
        if kind in kinds[code]
    }


def demo_steps() -> list[DemoStep]:
    return sorted(
        (m.module.demo for m in installed() if m.module.demo), key=lambda s: (s.order, s.seed)
    )
