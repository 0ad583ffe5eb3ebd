"""Console forms of the custody member portal (plain forms; the services validate)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Contract


class ContractFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Contract.Status.choices]
    )
    market = forms.CharField(label=_("Market code"), required=False, max_length=16)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class SmsCodeField(forms.CharField):
    def __init__(self, **kw: object) -> None:
        super().__init__(
            label=_("SMS code"),
            max_length=6,
            min_length=6,
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
            help_text=_("Press “Send code” first; the code is valid for 5 minutes."),
            **kw,  # type: ignore[arg-type]
        )


class SignForm(forms.Form):
    member_code = forms.CharField(
        label=_("Member code"),
        max_length=32,
        help_text=_("The code the market assigned to the member."),
    )
    card_id = forms.ChoiceField(label=_("Bound card / settlement account"))
    currency = forms.ChoiceField(label=_("Currency"))
    agreement_accepted = forms.BooleanField(
        label=_("I have read and accept the service agreement"), required=False
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(
        self,
        *args: object,
        cards: list[tuple[str, str]],
        currencies: list[str],
        sms: bool,
        **kw: object,
    ) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.fields["card_id"].choices = cards  # type: ignore[attr-defined]
        self.fields["currency"].choices = [(c, c) for c in currencies]  # type: ignore[attr-defined]
        if sms:
            self.fields["sms_code"] = SmsCodeField()


class CancelForm(forms.Form):
    comment = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: object, sms: bool, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        if sms:
            self.fields["sms_code"] = SmsCodeField()


class MarketStateForm(forms.Form):
    open_trades = forms.IntegerField(label=_("Unsettled trades"), min_value=0, max_value=1_000_000)
    open_disputes = forms.IntegerField(label=_("Open disputes"), min_value=0, max_value=1_000_000)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class CardChangeForm(forms.Form):
    bank_code = forms.ChoiceField(label=_("Bank"))
    branch_code = forms.CharField(label=_("Branch code (CNAPS)"), required=False, max_length=16)
    card_number = forms.CharField(label=_("New card number"), max_length=19)
    phone = forms.CharField(label=_("Bank-reserved mobile"), max_length=32)
    sms_code = SmsCodeField()

    def __init__(self, *args: object, banks: list[tuple[str, str]], **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.fields["bank_code"].choices = banks  # type: ignore[attr-defined]


class InfoForm(forms.Form):
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100)
    contact_name = forms.CharField(label=_("Contact"), max_length=100)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    address = forms.CharField(label=_("Address"), max_length=300)
    sms_code = SmsCodeField()

    def __init__(self, *args: object, fields: tuple[str, ...], **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        for name in list(self.fields):
            if name != "sms_code" and name not in fields:
                del self.fields[name]


class PhoneCodeForm(forms.Form):
    new_phone = forms.CharField(label=_("New mobile number"), max_length=32)


class PhoneForm(forms.Form):
    card_number = forms.CharField(label=_("Bound card number"), max_length=19)
    sms_code = SmsCodeField()


class CloseForm(forms.Form):
    sms_code = SmsCodeField()
