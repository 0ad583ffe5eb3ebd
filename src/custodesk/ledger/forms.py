"""Console forms of the ledger pages (plain ``forms.Form``; amounts as Decimal, never float)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from custodesk.core.money import AMOUNT_DIGITS, AMOUNT_PLACES, SUPPORTED_CURRENCIES

from .models import AccountFreeze, LedgerAccount, LedgerTransfer

Choices = list[tuple[str, Any]]
ALL: Choices = [("", _("All"))]


def amount_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    """An amount: no more digits than BIGINT minor units have, nor places than the
    currencies (``Money.from_decimal`` checks the exact maximum and the currency's)."""
    return forms.DecimalField(
        label=label,
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        min_value=0,
        **kwargs,
    )


CURRENCIES: Choices = [(c, c) for c in SUPPORTED_CURRENCIES]


class FreezeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AccountFreeze.Kind.choices)
    amount = amount_field(
        _("Amount"),
        required=False,
        help_text=_("Only for an amount freeze: the amount to freeze, in the account's currency."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason_code = forms.CharField(label=_("Reason code"), max_length=64)
    legal_reference = forms.CharField(
        label=_("Legal reference"),
        max_length=200,
        required=False,
        help_text=_("Court order, regulator letter or case number, if any."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        help_text=_("Leave empty for a freeze that stays until it is released."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=200
    )


class StatementForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=ALL + list(LedgerAccount.Kind.choices)
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False, choices=ALL + CURRENCIES)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=ALL + list(LedgerAccount.Status.choices)
    )


# A metadata key is one JSON key, never an ORM lookup path ("a__b", "x__regex").
metadata_key_validator = RegexValidator(
    r"^(?!.*__)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
    _("Letters, digits, dots, dashes and single underscores only."),
)


class TransferFilterForm(forms.Form):
    account = forms.CharField(label=_("Account number"), required=False, max_length=64)
    kind = forms.CharField(label=_("Kind"), required=False, max_length=32)
    flag = forms.ChoiceField(
        label=_("Flag"), required=False, choices=ALL + list(LedgerTransfer.Flag.choices)
    )
    pending_state = forms.ChoiceField(
        label=_("Hold state"),
        required=False,
        choices=ALL + list(LedgerTransfer.PendingState.choices),
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False, choices=ALL + CURRENCIES)
    date_from = forms.DateField(label=_("Business date from"), required=False)
    date_to = forms.DateField(label=_("Business date to"), required=False)
    amount_min = amount_field(_("Amount from"), required=False)
    amount_max = amount_field(_("Amount to"), required=False)
    metadata_key = forms.CharField(
        label=_("Metadata key"), required=False, validators=[metadata_key_validator]
    )
    metadata_value = forms.CharField(label=_("Metadata value"), required=False, max_length=200)


class HoldFilterForm(forms.Form):
    account = forms.CharField(label=_("Account number"), required=False, max_length=64)


class FreezeFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("Active")), ("released", _("Released")), ("all", _("All"))],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *AccountFreeze.Kind.choices]
    )
    account = forms.CharField(label=_("Account number"), required=False, max_length=64)


class RefusedFilterForm(forms.Form):
    code = forms.CharField(label=_("Refusal code"), required=False, max_length=64)
    account = forms.CharField(label=_("Account number"), required=False, max_length=64)
    requested_by = forms.CharField(label=_("Requested by"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
