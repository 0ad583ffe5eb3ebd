"""Message templates: declared in code by the module that sends them, rendered in the
recipient's language.

A module declares its templates (in its own ``notify.py`` or ``messages.py``)::

    catalog.register(MessageTemplate(
        code="custody.contract_signed",
        channels=frozenset({"sms", "email"}),
        subject=_("Your contract is signed"),
        body=_("Contract %(contract)s was signed on %(date)s."),
    ))

``subject`` and ``body`` are gettext strings with ``%(name)s`` placeholders: the
translation catalogues hold the 繁/简 texts (``tests/i18n`` keeps them complete), and
:func:`render` picks the recipient's language.  Placeholders named in ``secrets``
(a password, a one-time code) must come in ``enqueue(secrets=...)``, never in the
context that is kept and shown.  A webhook's body is JSON (event, delivery id, time,
data) and needs no text.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

MASK = "••••••"
LANGUAGES = ("zh-hant", "zh-hans", "en")
_ALIASES = {
    "zh-hant": "zh-hant", "zh-tw": "zh-hant", "zh-hk": "zh-hant", "zh-mo": "zh-hant",
    "zh-hans": "zh-hans", "zh-cn": "zh-hans", "zh-sg": "zh-hans", "zh": "zh-hans",
    "en": "en",
}  # fmt: skip


@dataclass(frozen=True)
class MessageTemplate:
    code: str
    channels: frozenset[str]
    subject: str | Promise = ""
    body: str | Promise = ""
    secrets: tuple[str, ...] = ()
    description: str | Promise = ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    content_type: str = "text/plain"


_registry: dict[str, MessageTemplate] = {}


def register(template: MessageTemplate) -> MessageTemplate:
    known = _registry.get(template.code)
    if known is not None and known != template:
        raise ValueError(f"message template {template.code!r} declared twice")
    _registry[template.code] = template
    return template


def get(code: str) -> MessageTemplate | None:
    return _registry.get(code)


def all_templates() -> list[MessageTemplate]:
    return sorted(_registry.values(), key=lambda t: t.code)


def language_code(value: str | None) -> str | None:
    """Django's code for a recipient's language (``zh_Hant``, ``zh-TW``, ``en-GB`` ...):
    ``zh-hant``, ``zh-hans`` or ``en``; blank → the site's default; None if unknown."""
    raw = (value or "").strip().replace("_", "-").lower()
    if not raw:
        return str(settings.LANGUAGE_CODE)
    if raw in _ALIASES:
        return _ALIASES[raw]
    return "en" if raw.startswith("en-") else None


def render(
    template: MessageTemplate,
    *,
    channel: str,
    language: str,
    context: dict[str, Any],
    secrets: dict[str, Any] | None,
    delivery_id: str,
    created_at: dt.datetime,
) -> Rendered:
    """The text the recipient gets.  ``secrets=None`` renders the kept record: every
    secret placeholder shows as a mask (the console, the API)."""
    values = dict(context)
    for name in template.secrets:
        values[name] = MASK if secrets is None else secrets.get(name, MASK)
    if channel == "webhook":
        body = json.dumps(
            {
                "event": template.code,
                "delivery_id": delivery_id,
                "created_at": created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                "data": values,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return Rendered(subject="", body=body, content_type="application/json")
    with translation.override(language):
        subject = str(template.subject) % values if template.subject else ""
        body = str(template.body) % values
    return Rendered(subject=subject, body=body)
