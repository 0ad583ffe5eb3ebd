"""The outbox's writes: enqueue a message (inside the caller's transaction), deliver what
is due (the worker), retry or give up by hand (staff, audited), webhook endpoints.

Delivery, one message at a time:

1. **claim** (own short transaction): the oldest due message, pending or failed, not
   leased — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers
   take different messages; SQLite's ``BEGIN IMMEDIATE`` serialises claimers — gets a
   lease (``leased_until``, ``lease_id``) and one more attempt counted;
2. **send** outside any transaction (the sender may take seconds);
3. **finish** (own transaction, only while the lease is still ours): sent, or failed with
   the reason and the next attempt after an exponential backoff with jitter, or given up
   after ``CUSTODESK_NOTIFY_MAX_ATTEMPTS``.  Sent and given up blank the secrets.

A worker killed between 1 and 3 leaves the lease to expire; the message is then due
again and sent again with the same delivery id (at least once; a receiver that
deduplicates on the id processes it once).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access, sql
from custodesk.core.clock import Clock
from custodesk.core.errors import FieldError, IllegalTransition, ValidationFailed

from . import catalog
from . import errors as E
from . import permissions as perms
from .models import Message, WebhookEndpoint
from .senders import DeliveryFailed, Outgoing, sender_for

logger = logging.getLogger("custodesk.notify")

CHANNELS = {c.value for c in Message.Channel}
DUE_STATES = (Message.Status.PENDING, Message.Status.FAILED)
PHONE = r"^\+?[0-9]{6,15}$"
INTERRUPTED = "interrupted: the lease ran out before the attempt was recorded (worker stopped)"


# -- enqueue (inside the caller's transaction) ---------------------------------------------
@dataclass(frozen=True)
class Queued:
    """One message for :func:`enqueue_many` (the arguments of :func:`enqueue`)."""

    channel: str
    template: str
    recipient: str
    language: str | None = None
    context: dict[str, Any] | None = None
    secrets: dict[str, Any] | None = None


def enqueue(
    *,
    channel: str,
    template: str,
    recipient: str,
    language: str | None = None,
    context: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
    now: dt.datetime,
) -> Message:
    """Write a message to the outbox in the **caller's** transaction: it commits with the
    change that causes it, or not at all.  ``recipient``: an e-mail address, a phone
    number (``+85291234567``) or a webhook endpoint's code.  ``language``: the
    recipient's (``zh_Hant``, ``zh-hans``, ``en`` ...; blank = the site's).  ``context``
    is kept and shown to staff; ``secrets`` (the template's secret placeholders: a
    password, a one-time code) only until the message is sent or given up.

    Raises ``ValidationFailed`` (unknown channel/template/language, a recipient of the
    wrong form, a secret in ``context`` or missing from ``secrets``), ``EndpointNotFound``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("notify.enqueue() must run inside the caller's transaction")
    item = Queued(channel, template, recipient, language, context, secrets)
    msg = _prepared(item, now=now, memo={})
    msg.save(force_insert=True)
    return msg


def webhook_endpoints(codes: Sequence[str]) -> list[WebhookEndpoint]:
    """The webhook endpoints among ``codes`` (those configured), for
    :func:`enqueue_many`'s ``endpoints``."""
    return list(WebhookEndpoint.objects.filter(code__in=list(codes)))


def enqueue_many(
    items: list[Queued], *, now: dt.datetime, endpoints: Sequence[WebhookEndpoint] = ()
) -> list[Message]:
    """:func:`enqueue` for many messages in one INSERT (each checked as :func:`enqueue`
    checks it; an endpoint or a template's placeholders looked up once for the lot, the
    webhook ``endpoints`` the caller has read already not at all).  All or none: the
    first invalid item raises before anything is written.  The messages returned have
    no primary key (their ``public_id`` is the delivery id)."""
    if not connection.in_atomic_block:
        raise RuntimeError("notify.enqueue() must run inside the caller's transaction")
    memo: dict[Any, Any] = {("recipient", Message.Channel.WEBHOOK, e.code): e for e in endpoints}
    messages = [_prepared(item, now=now, memo=memo) for item in items]
    sql.insert_rows(messages)  # one statement; the caller needs no ids back
    return messages


def _prepared(item: Queued, *, now: dt.datetime, memo: dict[Any, Any]) -> Message:
    channel, template, recipient = item.channel, item.template, item.recipient
    context = dict(item.context or {})
    secrets = dict(item.secrets or {})
    problems: list[FieldError] = []
    tpl = catalog.get(template)
    if channel not in CHANNELS:
        problems.append(FieldError("channel", "choice", _("Use sms, email or webhook.")))
    if tpl is None:
        problems.append(FieldError("template", "unknown", _("No such message template.")))
    elif channel in CHANNELS and channel not in tpl.channels:
        problems.append(
            FieldError("channel", "template_channel", _("This template is not for this channel."))
        )
    lang = catalog.language_code(item.language)
    if lang is None:
        problems.append(FieldError("language", "choice", _("Use zh_Hant, zh_Hans or en.")))
    if tpl is not None:
        for name in tpl.secrets:
            if name in context:
                problems.append(
                    FieldError(f"context.{name}", "secret", _("A secret goes in secrets only."))
                )
            if name not in secrets:
                problems.append(FieldError(f"secrets.{name}", "required", _("Required.")))
        for name in secrets:
            if name not in tpl.secrets:
                problems.append(
                    FieldError(f"secrets.{name}", "undeclared", _("Not a secret of the template."))
                )
    try:
        json.dumps([context, secrets])
    except (TypeError, ValueError):
        problems.append(FieldError("context", "json", _("Only JSON values.")))
    key = ("recipient", channel, recipient)
    if channel != Message.Channel.WEBHOOK or key not in memo:
        memo[key] = _recipient_problems(channel, recipient, problems)
    endpoint = memo[key]
    if tpl is not None and lang is not None and not problems:
        needs = ("placeholders", template, channel, lang, tuple(sorted(context)))
        if needs not in memo:
            memo[needs] = _missing_placeholders(
                tpl, channel=channel, language=lang, context=context, now=now
            )
        for missing in memo[needs]:
            problems.append(FieldError(f"context.{missing}", "required", _("Required.")))
    if problems or lang is None:
        raise ValidationFailed(problems)
    return Message(
        channel=channel,
        template=template,
        language=lang,
        recipient=_normalised(channel, recipient),
        endpoint=endpoint,
        context=context,
        secret_context=secrets or None,
        had_secrets=bool(secrets),
        next_attempt_at=now,
        created_at=now,
    )


def _missing_placeholders(
    tpl: catalog.MessageTemplate,
    *,
    channel: str,
    language: str,
    context: dict[str, Any],
    now: dt.datetime,
) -> list[str]:
    """The context keys the template's text needs and does not get (tried in the
    recipient's language: a translation may use fewer, never more)."""
    missing: list[str] = []
    while True:
        try:
            catalog.render(
                tpl,
                channel=channel,
                language=language,
                context={**context, **dict.fromkeys(missing, "")},
                secrets=None,
                delivery_id="",
                created_at=now,
            )
        except KeyError as exc:
            missing.append(str(exc.args[0]))
            continue
        return missing


def _normalised(channel: str, recipient: str) -> str:
    value = recipient.strip()
    return value.replace(" ", "") if channel == Message.Channel.SMS else value


def _recipient_problems(
    channel: str, recipient: str, problems: list[FieldError]
) -> WebhookEndpoint | None:
    value = (recipient or "").strip()
    if channel == Message.Channel.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            problems.append(FieldError("recipient", "email", _("Enter a valid e-mail address.")))
    elif channel == Message.Channel.SMS:
        if not re.fullmatch(PHONE, value.replace(" ", "")):
            problems.append(
                FieldError("recipient", "phone", _("Enter a phone number, e.g. +85291234567."))
            )
    elif channel == Message.Channel.WEBHOOK:
        endpoint = WebhookEndpoint.objects.filter(code=value).first()
        if endpoint is None:
            raise E.EndpointNotFound(field="recipient")
        return endpoint
    return None


# -- delivery (the worker) -----------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    pk: int
    lease_id: uuid.UUID
    attempt: int
    secrets: tuple[str, ...] = field(repr=False)  # values, to scrub from error texts
    outgoing: Outgoing = field(repr=False)


def backoff(attempt: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """Wait before the attempt after ``attempt`` (1, 2, ...): the base doubled each time,
    capped, with "equal jitter" — between half and all of it — so that messages that
    failed together do not all come back together."""
    base = settings.CUSTODESK_NOTIFY_BACKOFF_SECONDS
    cap = settings.CUSTODESK_NOTIFY_BACKOFF_MAX_SECONDS
    full = min(cap, base * 2 ** max(0, attempt - 1))
    return dt.timedelta(seconds=full / 2 + (rng or random).uniform(0, full / 2))


@transaction.atomic(durable=True)
def _claim(*, now: dt.datetime) -> Claim | None:
    due = (
        Message.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=DUE_STATES, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .select_related("endpoint")
        .order_by("next_attempt_at", "id")
    )
    while (msg := due.first()) is not None:
        if msg.leased_until is not None:  # the last attempt never came back
            msg.last_error = INTERRUPTED
        if msg.attempts >= settings.CUSTODESK_NOTIFY_MAX_ATTEMPTS:
            _give_up(msg, now=now, error=msg.last_error)
            continue
        try:
            text = _render(msg)
        except (KeyError, ValueError, TypeError) as exc:  # e.g. a template changed since
            _give_up(msg, now=now, error=f"cannot render the message: {type(exc).__name__}")
            continue
        msg.attempts += 1
        msg.last_attempt_at = now
        msg.leased_until = now + dt.timedelta(seconds=settings.CUSTODESK_NOTIFY_LEASE_SECONDS)
        msg.lease_id = uuid.uuid4()
        msg.save(
            update_fields=["attempts", "last_attempt_at", "leased_until", "lease_id", "last_error"]
        )
        return _claim_of(msg, text, now=now)
    return None


def _render(msg: Message, *, masked: bool = False) -> catalog.Rendered:
    tpl = catalog.get(msg.template)
    if tpl is None:  # a template removed from the code since
        raise KeyError(msg.template)
    return catalog.render(
        tpl,
        channel=msg.channel,
        language=msg.language,
        context=msg.context,
        secrets=None if masked else dict(msg.secret_context or {}),
        delivery_id=str(msg.public_id),
        created_at=msg.created_at,
    )


def _claim_of(msg: Message, text: catalog.Rendered, *, now: dt.datetime) -> Claim:
    secrets = dict(msg.secret_context or {})
    endpoint = msg.endpoint
    assert msg.lease_id is not None
    return Claim(
        pk=msg.pk,
        lease_id=msg.lease_id,
        attempt=msg.attempts,
        secrets=tuple(str(v) for v in secrets.values() if str(v)),
        outgoing=Outgoing(
            delivery_id=str(msg.public_id),
            channel=msg.channel,
            template=msg.template,
            recipient=msg.recipient,
            language=msg.language,
            subject=text.subject,
            body=text.body,
            content_type=text.content_type,
            attempt=msg.attempts,
            at=now,
            url=endpoint.url if endpoint is not None and endpoint.active else "",
            signing_secret=endpoint.secret if endpoint is not None else "",
        ),
    )


def _give_up(msg: Message, *, now: dt.datetime, error: str) -> None:
    msg.status = Message.Status.GAVE_UP
    msg.gave_up_at = now
    msg.secret_context = None
    msg.leased_until = None
    msg.lease_id = None
    msg.last_error = error[:500]
    msg.save()


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """An error text without the message's secrets (a receiver may echo what it got)."""
    for value in secrets:
        text = text.replace(value, catalog.MASK)
    return text[:500]


@transaction.atomic(durable=True)
def _finish(*, claim: Claim, error: str | None, now: dt.datetime) -> str | None:
    msg = Message.objects.select_for_update().filter(pk=claim.pk, lease_id=claim.lease_id).first()
    if msg is None:
        return None  # the lease ran out and another worker has the message now
    if error is None:
        msg.status = Message.Status.SENT
        msg.sent_at = now
        msg.secret_context = None
        msg.leased_until = None
        msg.lease_id = None
        msg.save()
    elif msg.attempts >= settings.CUSTODESK_NOTIFY_MAX_ATTEMPTS:
        _give_up(msg, now=now, error=error)
    else:
        msg.status = Message.Status.FAILED
        msg.last_error = error
        msg.next_attempt_at = now + backoff(msg.attempts)
        msg.leased_until = None
        msg.lease_id = None
        msg.save()
    return msg.status


def deliver_due(*, clock: Clock, limit: int = 100) -> dict[str, int]:
    """Deliver due messages one by one until none is due or ``limit`` were tried; how
    many ended sent, failed, gave_up (or lost: the lease ran out meanwhile).  Takes the
    clock (not one ``now``): every claim and every outcome is timed when it happens."""
    outcomes: Counter[str] = Counter()
    for _attempt in range(limit):
        claim = _claim(now=clock.now())
        if claim is None:
            break
        error: str | None = None
        try:
            sender_for(claim.outgoing.channel).send(claim.outgoing)
        except DeliveryFailed as exc:
            error = _scrub(exc.reason, claim.secrets)
        except Exception as exc:  # any failure of the outside world is a failed attempt
            error = _scrub(f"{type(exc).__name__}: {exc}", claim.secrets)
        status = _finish(claim=claim, error=error, now=clock.now())
        outcomes[status or "lost"] += 1
        logger.info(
            "outbox %s %s attempt %d: %s%s",
            claim.outgoing.channel,
            claim.outgoing.delivery_id,
            claim.attempt,
            status or "lease lost",
            f" ({error})" if error else "",
        )
    return dict(outcomes)


# -- by hand (staff) --------------------------------------------------------------------------
def _locked(public_id: uuid.UUID) -> Message:
    msg = Message.objects.select_for_update().filter(public_id=public_id).first()
    if msg is None:
        raise E.MessageNotFound()
    return msg


def _snapshot(msg: Message) -> dict[str, Any]:
    return {"status": msg.status, "attempts": msg.attempts, "next_attempt_at": msg.next_attempt_at}


def _check_manual(msg: Message, *, now: dt.datetime) -> None:
    if msg.status == Message.Status.SENT:
        raise E.MessageAlreadySent()
    if msg.leased_until is not None and msg.leased_until > now:
        raise E.MessageInDelivery()


@transaction.atomic(durable=True)
def message_retry(*, actor: Any, message_id: uuid.UUID, reason: str, now: dt.datetime) -> Message:
    """Try a failed (or given-up) message again now, with one more attempt allowed.

    Raises PermissionDenied, MessageNotFound, MessageAlreadySent, MessageInDelivery,
    MessageNotRetryable (still pending), SecretsBlanked (given up with a secret: it is
    gone; issue a new one), ValidationFailed (no reason).
    """
    access.require(actor, perms.MANAGE)
    reason = _reason(reason)
    msg = _locked(message_id)
    _check_manual(msg, now=now)
    if msg.status == Message.Status.PENDING:
        raise E.MessageNotRetryable()
    if msg.had_secrets and msg.secret_context is None:
        raise E.SecretsBlanked()
    before = _snapshot(msg)
    msg.status = Message.Status.FAILED if msg.attempts else Message.Status.PENDING
    msg.next_attempt_at = now
    msg.gave_up_at = None
    msg.leased_until = None
    msg.lease_id = None
    msg.attempts = min(msg.attempts, settings.CUSTODESK_NOTIFY_MAX_ATTEMPTS - 1)
    msg.save()
    _audit(actor, "notify.message.retry", msg, before=before, reason=reason, now=now)
    return msg


@transaction.atomic(durable=True)
def message_give_up(*, actor: Any, message_id: uuid.UUID, reason: str, now: dt.datetime) -> Message:
    """Stop trying a pending or failed message; its secrets are blanked.

    Raises PermissionDenied, MessageNotFound, MessageAlreadySent, MessageInDelivery,
    IllegalTransition (already given up), ValidationFailed (no reason).
    """
    access.require(actor, perms.MANAGE)
    reason = _reason(reason)
    msg = _locked(message_id)
    _check_manual(msg, now=now)
    if msg.status == Message.Status.GAVE_UP:
        raise IllegalTransition()
    before = _snapshot(msg)
    _give_up(msg, now=now, error=msg.last_error)
    _audit(actor, "notify.message.give_up", msg, before=before, reason=reason, now=now)
    return msg


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    if len(reason) > 200:
        raise ValidationFailed.single("reason", "max_length", _("At most 200 characters."))
    return reason


def _audit(
    actor: Any, action: str, msg: Message, *, before: dict[str, Any], reason: str, now: dt.datetime
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="notify.message",
        object_id=msg.public_id,
        object_repr=f"{msg.channel}:{msg.template} → {msg.recipient}"[:200],
        before=before,
        after=_snapshot(msg),
        reason=reason,
        now=now,
    )


# -- webhook endpoints and test messages ------------------------------------------------------
@transaction.atomic(durable=True)
def endpoint_save(
    *,
    actor: Any,
    code: str,
    url: str,
    secret: str | None = None,
    active: bool = True,
    now: dt.datetime,
) -> WebhookEndpoint:
    """Create or change the webhook endpoint ``code`` (its URL, signing secret, whether it
    takes messages); ``secret=None`` keeps the current one (required for a new
    endpoint).  The secret is never audited or shown.  ``actor=None``: the server
    operator at the CLI.

    Raises PermissionDenied, ValidationFailed (code, URL not http(s), secret missing or
    shorter than 32 characters).
    """
    if actor is not None:
        access.require(actor, perms.ENDPOINT_MANAGE)
    endpoint = WebhookEndpoint.objects.select_for_update().filter(code=code).first()
    problems: list[FieldError] = []
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", code or ""):
        problems.append(FieldError("code", "slug", _("Lower-case letters, digits, - and _.")))
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        problems.append(FieldError("url", "url", _("Enter an http or https URL.")))
    if (secret is not None or endpoint is None) and len(secret or "") < 32:
        problems.append(FieldError("secret", "min_length", _("At least 32 characters.")))
    if problems:
        raise ValidationFailed(problems)
    before = None
    if endpoint is None:
        endpoint = WebhookEndpoint(code=code, created_at=now)
    else:
        before = {"url": endpoint.url, "active": endpoint.active}
    rotated = secret is not None and endpoint.secret != secret
    if secret is not None:
        endpoint.secret = secret
    endpoint.url, endpoint.active, endpoint.updated_at = url, active, now
    endpoint.save()
    record(
        actor=actor,
        action="notify.endpoint.save",
        object_type="notify.endpoint",
        object_id=endpoint.public_id,
        object_repr=endpoint.code,
        before=before,
        after={"url": url, "active": active, "secret_changed": rotated},
        now=now,
    )
    return endpoint


@transaction.atomic(durable=True)
def message_send_test(
    *,
    actor: Any,
    channel: str,
    recipient: str,
    language: str | None = None,
    note: str = "",
    now: dt.datetime,
) -> Message:
    """Queue the ``notify.test`` message (checking a channel's configuration: the SMTP
    server, a market's endpoint, the SMS gateway); audited.  ``actor=None``: the server
    operator at the CLI.

    Raises PermissionDenied, ValidationFailed, EndpointNotFound.
    """
    if actor is not None:
        access.require(actor, perms.MANAGE)
    msg = enqueue(
        channel=channel,
        template="notify.test",
        recipient=recipient,
        language=language,
        context={"note": note[:200] or str(now.isoformat())},
        now=now,
    )
    record(
        actor=actor,
        action="notify.message.test",
        object_type="notify.message",
        object_id=msg.public_id,
        object_repr=f"{msg.channel}:{msg.template} → {msg.recipient}"[:200],
        after={"channel": msg.channel, "recipient": msg.recipient, "language": msg.language},
        now=now,
    )
    return msg
