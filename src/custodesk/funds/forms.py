"""Console forms of deposits and withdrawals (the services check the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Direction, FundMovement


class MovementForm(forms.Form):
    contract = forms.ChoiceField(label=_("Trading market"))
    amount = forms.CharField(label=_("Amount"), max_length=40)
    sms_code = forms.CharField(label=_("SMS code"), max_length=12, required=False)
    comment = forms.CharField(label=_("Note"), max_length=500, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, contracts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = contracts  # type: ignore[attr-defined]


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class MovementFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *FundMovement.Status.choices]
    )
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", "—"), *Direction.choices]
    )
    market = forms.CharField(label=_("Market code"), required=False, max_length=16)
    member_code = forms.CharField(label=_("Member code"), required=False, max_length=32)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome at the bank"),
        choices=[("succeeded", _("Succeeded")), ("failed", _("Failed"))],
    )
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=64, required=False)
    reason = forms.CharField(label=_("How it was confirmed"), max_length=500)


class LimitForm(forms.Form):
    market = forms.ChoiceField(label=_("Trading market"))
    member = forms.ChoiceField(label=_("Member"), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    per_transaction = forms.CharField(label=_("Per transaction"), max_length=40, required=False)
    daily = forms.CharField(label=_("Per day"), max_length=40, required=False)

    def __init__(
        self,
        *args: Any,
        markets: list[tuple[str, str]],
        members: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["market"].choices = markets  # type: ignore[attr-defined]
        self.fields["member"].choices = [("", _("All members (market default)")), *members]  # type: ignore[attr-defined]


class WebhookForm(forms.Form):
    market = forms.ChoiceField(label=_("Trading market"))
    url = forms.URLField(label=_("Webhook URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput,
        help_text=_("At least 32 characters; leave blank to keep the current one."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, markets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["market"].choices = markets  # type: ignore[attr-defined]
