"""Senders: the adapters that hand a rendered message to the outside world.

``settings.CUSTODESK_NOTIFY_SENDERS`` names the class for each channel; a sender has one
method, ``send(message)``, which returns when the message was accepted and raises
:class:`DeliveryFailed` (or any exception: the outbox records it and retries) when not.
Every message carries its delivery id; a receiver deduplicates on it.

The defaults:

* e-mail — :class:`DjangoEmailSender`: Django's e-mail backend (SMTP when
  ``CUSTODESK_EMAIL_HOST`` is set, files in ``var/mail`` otherwise);
* webhooks — :class:`HttpWebhookSender`: an HTTP POST of the JSON body, signed
  ``X-Custodesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``;
* SMS — :class:`FileSmsSender`: the embedded gateway, one file per message in
  ``var/outbox/`` (the test phone; the console shows it to staff who may read it).
  A real gateway is another class with the same method.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Outgoing:
    """One attempt at delivering a message, rendered, secrets included."""

    delivery_id: str
    channel: str
    template: str
    recipient: str
    language: str
    subject: str
    body: str
    content_type: str
    attempt: int
    at: dt.datetime
    url: str = ""  # webhooks: the endpoint's URL and signing secret
    signing_secret: str = ""

    def __repr__(self) -> str:  # never the body: it may carry a password
        return f"Outgoing({self.channel}:{self.template} {self.delivery_id} #{self.attempt})"


class DeliveryFailed(Exception):
    """The receiver did not take the message; ``reason`` is recorded (no content)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class Sender(Protocol):
    def send(self, message: Outgoing) -> None: ...


def sender_for(channel: str) -> Sender:
    cls: Any = import_string(settings.CUSTODESK_NOTIFY_SENDERS[channel])
    sender: Sender = cls()
    return sender


class DjangoEmailSender:
    """E-mail through Django's configured backend (SMTP in production)."""

    def send(self, message: Outgoing) -> None:
        connection = get_connection(timeout=settings.CUSTODESK_NOTIFY_TIMEOUT_SECONDS)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={
                "X-Custodesk-Delivery": message.delivery_id,
                "Message-ID": f"<{message.delivery_id}@custodesk>",  # the same on a retry
            },
            connection=connection,
        )
        email.send(fail_silently=False)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Custodesk-Signature`` value: ``t=<timestamp>,v1=<hex HMAC-SHA256>`` of
    ``"<timestamp>." + body`` under the endpoint's secret.  A receiver recomputes it and
    compares with ``hmac.compare_digest``; it rejects old timestamps against replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer we do not follow: the delivery failed


class HttpWebhookSender:
    """POST the JSON body to the endpoint; any 2xx answer is delivered."""

    def send(self, message: Outgoing) -> None:
        if not message.url.startswith(("http://", "https://")):
            raise DeliveryFailed("the endpoint is disabled or its URL is not http(s)")
        body = message.body.encode()
        timestamp = int(message.at.timestamp())
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            message.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": f"{message.content_type}; charset=utf-8",
                "User-Agent": "Custodesk-Webhook/1",
                "X-Custodesk-Delivery": message.delivery_id,
                "X-Custodesk-Event": message.template,
                "X-Custodesk-Signature": signature(message.signing_secret, timestamp, body),
            },
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=settings.CUSTODESK_NOTIFY_TIMEOUT_SECONDS) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:  # answered, but not 2xx (the body is not kept)
            raise DeliveryFailed(f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise DeliveryFailed(f"cannot reach the endpoint: {exc.reason}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}")


def phone_dir() -> Path:
    return Path(settings.VAR_DIR) / "outbox"


class FileSmsSender:
    """The embedded SMS gateway: each message becomes ``var/outbox/sms-<delivery id>.txt``
    (written whole, then renamed into place).  A second attempt of the same message
    rewrites the same file: this gateway deduplicates by delivery id, as a real one must."""

    def send(self, message: Outgoing) -> None:
        directory = phone_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"sms-{message.delivery_id}.txt"
        text = (
            f"To: {message.recipient}\n"
            f"Delivery: {message.delivery_id}\n"
            f"Template: {message.template}\n"
            f"Language: {message.language}\n"
            f"At: {message.at.astimezone(dt.UTC).isoformat()}\n"
            f"\n{message.body}\n"
        )
        partial = path.with_suffix(".part")
        partial.write_text(text, encoding="utf-8")
        partial.chmod(0o600)
        partial.replace(path)
