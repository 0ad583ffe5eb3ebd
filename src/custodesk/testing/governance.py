"""Test helpers for changes to the controls, which go through the approval engine.

Each submits the governance action as an interface would; in dual-admin mode the
request waits, and ``approver`` (a second administrator) approves it at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from custodesk.approvals import flows, services
from custodesk.identity import governance


def submit(
    actor: Any,
    action_type: str,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
    approver: Any = None,
) -> services.Submitted:
    sub = services.submit(actor=actor, action_type=action_type, payload=payload, now=now)
    if not sub.executed and approver is not None:
        decision = services.approve(actor=approver, request_id=sub.request.public_id, now=now)
        assert decision.executed, "the approver's decision did not execute the change"
        return services.Submitted(decision.request, True, decision.result)
    return sub


def configure_flow(
    *,
    actor: Any,
    action_type: str,
    mode: str = "review",
    levels: list[flows.LevelInput] | None = None,
    expiry_hours: int = flows.DEFAULT_EXPIRY_HOURS,
    global_flow: bool = False,
    now: dt.datetime,
    approver: Any = None,
) -> services.Submitted:
    payload = flows.flow_change_payload(
        action_type=action_type,
        mode=mode,
        expiry_hours=expiry_hours,
        levels=levels or [],
        global_flow=global_flow,
    )
    return submit(actor, flows.FLOW_CONFIGURE, payload, now=now, approver=approver)


def delete_flow(
    *,
    actor: Any,
    action_type: str,
    global_flow: bool = False,
    now: dt.datetime,
    approver: Any = None,
) -> services.Submitted:
    payload = {"action_type": action_type, "global_flow": global_flow}
    return submit(actor, flows.FLOW_DELETE, payload, now=now, approver=approver)


def set_dual_admin(
    *,
    actor: Any,
    organisation_id: Any,
    enabled: bool,
    now: dt.datetime,
    approver: Any = None,
) -> services.Submitted:
    payload = {"organisation_id": str(organisation_id), "enabled": enabled}
    return submit(actor, governance.DUAL_ADMIN, payload, now=now, approver=approver)


def create_role(
    *,
    actor: Any,
    code: str,
    name: str,
    permissions: list[str],
    description: str = "",
    organisation_id: Any = None,
    now: dt.datetime,
    approver: Any = None,
) -> Any:
    """Define a role and return it (the change must apply: single-admin or approved)."""
    from custodesk.identity.models import Role

    payload: dict[str, Any] = {
        "code": code,
        "name": name,
        "description": description,
        "permissions": permissions,
    }
    if organisation_id is not None:
        payload["organisation_id"] = str(organisation_id)
    sub = submit(actor, governance.ROLE_CREATE, payload, now=now, approver=approver)
    assert sub.executed and sub.result is not None, "the role was not created"
    return Role.objects.get(public_id=sub.result["role_id"])


def delivered_password(email_address: str, *, clock: Any) -> str:
    """Deliver the outbox now and read the temporary password from the last e-mail sent
    to ``email_address`` (Django's test e-mail backend keeps what was sent)."""
    import re

    from django.core import mail

    from custodesk.notify import services as notify

    notify.deliver_due(clock=clock)
    for message in reversed(mail.outbox):
        if email_address in message.to:
            found = re.search(r"temporary password is (\S+?)\. ", str(message.body))
            assert found, message.body
            return found.group(1)
    raise AssertionError(f"no e-mail to {email_address} in {len(mail.outbox)} sent")


def delivered_code(phone: str, *, clock: Any) -> str:
    """Deliver the outbox now and read the one-time code of the newest SMS the embedded
    gateway delivered to ``phone`` (``var/outbox/sms-<delivery id>.txt``, the newest
    written)."""
    import re

    from custodesk.identity.services.verification import normalised_phone
    from custodesk.notify import services as notify
    from custodesk.notify.senders import phone_dir

    notify.deliver_due(clock=clock)
    number = normalised_phone(phone)
    newest: tuple[tuple[int, str], str] | None = None
    for path in phone_dir().glob("sms-*.txt"):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        if f"To: {number}\n" not in head + "\n" or "Template: notify.one_time_code" not in head:
            continue
        order = (path.stat().st_mtime_ns, path.name)
        if newest is None or order > newest[0]:
            newest = (order, body)
    assert newest is not None, f"no one-time code was SMSed to {number}"
    found = re.search(r"\b([0-9]{6})\b", newest[1])
    assert found, newest[1]
    return found.group(1)


def captcha_answer(key: str) -> str:
    """The answer to the sign-in captcha ``key`` (read from django-simple-captcha's
    store, as a person would read the image)."""
    from captcha.models import CaptchaStore

    return str(CaptchaStore.objects.get(hashkey=key).response)


def solved_captcha() -> dict[str, str]:
    """A new captcha and its answer, as the sign-in takes them (``captcha_key``,
    ``captcha_value``): for a test that signs in after a refused attempt."""
    from custodesk.identity import captcha

    key = captcha.new_key()
    return {"captcha_key": key, "captcha_value": captcha_answer(key)}
