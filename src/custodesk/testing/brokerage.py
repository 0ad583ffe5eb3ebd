"""Test helpers for the brokerage module: what its messages said (the outbox rows)."""

from __future__ import annotations

from custodesk.notify.models import Message


def sent(template: str) -> list[tuple[str, str]]:
    """(channel, recipient) of every message of ``template`` in the outbox."""
    return list(
        Message.objects.filter(template=template).order_by("id").values_list("channel", "recipient")
    )


def app_password(recipient: str) -> str:
    """The password of the newest app-password message to ``recipient``, read from the
    outbox before delivery (as the client's phone would receive it)."""
    m = (
        Message.objects.filter(template="brokerage.app_password", recipient=recipient)
        .order_by("-id")
        .first()
    )
    assert m is not None and m.secret_context, f"no app password sent to {recipient}"
    return str(m.secret_context["password"])
