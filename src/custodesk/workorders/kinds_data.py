"""Data kinds: modify the client's data (login phone / e-mail through the brokerage's
``client_update``; the e-mail verified flag), its contact details, its login app or
trading channel — remark or attachment required, the client told only when asked —
and client feedback (recorded, approved automatically unless a flow says otherwise)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.brokerage.errors import ClientNotActive
from custodesk.brokerage.models import Account, Client
from custodesk.brokerage.services import client_update
from custodesk.core.errors import FieldError

from .kinds import CLIENT, Execution, FormField, Kind, automatic, register
from .models import ClientContact

NOTIFY = FormField("notify", _("Notify the client?"), type="bool", default=False)
DATA_CHANGED = "workorders.client_data_changed"


def _active(c: Client, accounts: list[Account], fields: dict[str, Any]) -> None:
    if c.status == Client.Status.CLOSED:
        raise ClientNotActive(state=c.status)


def _some(*names: str) -> Any:
    def validate(fields: dict[str, Any]) -> list[FieldError]:
        if any(fields.get(n) not in (None, "", []) for n in names):
            return []
        return [FieldError("fields", "one_required", str(_("Change at least one value.")))]

    return validate


def contact_of(client: Client) -> ClientContact | None:
    return ClientContact.objects.filter(client=client).first()


def _contact_update(x: Execution, changes: dict[str, Any]) -> dict[str, Any]:
    """Write the client's extra data (this module's table), audited with the order."""
    with transaction.atomic():
        contact, _created = ClientContact.objects.select_for_update().get_or_create(
            client=x.client, defaults={"updated_at": x.now}
        )
        before = {k: getattr(contact, k) for k in changes}
        for k, v in changes.items():
            setattr(contact, k, v)
        contact.updated_at = x.now
        contact.save()
        record(
            actor=x.actor,
            action="workorders.client_contact.update",
            object_type="brokerage_client",
            object_id=x.client.public_id,
            object_repr=str(x.client)[:200],
            before=before,
            after=changes,
            reason=x.reason,
            approval_request_id=x.approval_request_id,
            now=x.now,
        )
    return {"changed": sorted(changes)}


def _modify_client_data(x: Execution) -> dict[str, Any]:
    f = x.order.fields
    changes = {}
    if f.get("login_phone"):
        changes["phone"] = f["login_phone"]
    if f.get("login_email"):
        changes["email"] = f["login_email"]
    out: dict[str, Any] = {"changed": []}
    if changes:
        client_update(
            actor=x.actor, client_id=x.client.public_id, changes=changes, reason=x.reason, now=x.now
        )
        out["changed"] += sorted(changes)
    verified = f.get("email_verified") or ""
    if verified or "email" in changes:
        # a new login e-mail is unverified unless the order says otherwise
        flag = verified == "yes"
        out["changed"] += _contact_update(x, {"email_verified": flag})["changed"]
    return out


def _modify_contact(x: Execution) -> dict[str, Any]:
    f = x.order.fields
    changes: dict[str, Any] = {}
    for name in ("contact_phone", "contact_email"):
        if f.get(name):
            changes[name] = f[name]
    if f.get("language"):
        changes["language"] = f["language"]
    if f.get("extra_emails"):
        changes["extra_emails"] = list(f["extra_emails"])
    return _contact_update(x, changes)


def _change_login_app(x: Execution) -> dict[str, Any]:
    f = x.order.fields
    changes = {n: f[n] for n in ("login_app", "trading_channel") if f.get(n)}
    return _contact_update(x, changes)


def _feedback(x: Execution) -> dict[str, Any]:
    return {"recorded": True, "category": x.order.fields.get("category", "")}


LANGUAGES = (("zh-hant", "繁體中文"), ("zh-hans", "简体中文"), ("en", "English"))
VERIFIED_CHOICES = (("yes", _("Verified")), ("no", _("Not verified")))

register(
    Kind(
        code="modify_client_data",
        label=_("Modify client data"),
        group="data",
        target=CLIENT,
        fields=(
            FormField("login_phone", _("Login phone"), type="phone", max_length=32),
            FormField("login_email", _("Login e-mail"), type="email", max_length=254),
            FormField(
                "email_verified",
                _("Login e-mail verified"),
                type="choice",
                choices=VERIFIED_CHOICES,
            ),
            NOTIFY,
        ),
        validate=_some("login_phone", "login_email", "email_verified"),
        check=_active,
        execute=_modify_client_data,
        data_change=True,
        notice=DATA_CHANGED,
        help=_("Changing the login phone changes where passwords and statements go."),
    )
)
register(
    Kind(
        code="modify_contact",
        label=_("Modify contact details"),
        group="data",
        target=CLIENT,
        fields=(
            FormField("contact_phone", _("Contact phone"), type="phone", max_length=32),
            FormField("contact_email", _("Contact e-mail"), type="email", max_length=254),
            FormField("extra_emails", _("More contact e-mails"), type="emails"),
            FormField("language", _("Language of notices"), type="choice", choices=LANGUAGES),
            NOTIFY,
        ),
        validate=_some("contact_phone", "contact_email", "extra_emails", "language"),
        check=_active,
        execute=_modify_contact,
        data_change=True,
        notice=DATA_CHANGED,
    )
)
register(
    Kind(
        code="change_login_app",
        label=_("Change login app or trading channel"),
        group="data",
        target=CLIENT,
        fields=(
            FormField(
                "login_app", _("Login app"), type="choice", choices=tuple(ClientContact.App.choices)
            ),
            FormField(
                "trading_channel",
                _("Trading channel"),
                type="choice",
                choices=tuple(ClientContact.TradingChannel.choices),
            ),
            NOTIFY,
        ),
        validate=_some("login_app", "trading_channel"),
        check=_active,
        execute=_change_login_app,
        data_change=True,
        notice=DATA_CHANGED,
    )
)
register(
    Kind(
        code="client_feedback",
        label=_("Client feedback"),
        group="feedback",
        target=CLIENT,
        fields=(
            FormField(
                "category",
                _("Category"),
                type="choice",
                required=True,
                choices=(
                    ("enquiry", _("Enquiry")),
                    ("complaint", _("Complaint")),
                    ("suggestion", _("Suggestion")),
                    ("other", _("Other")),
                ),
            ),
        ),
        execute=_feedback,
        default_levels=automatic,
        help=_("A client's request or problem, recorded and tracked."),
    )
)
