"""Console forms (plain forms: the rules are the services')."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CURRENCIES, Market

LANGUAGES = [("zh_Hans", "简体中文"), ("zh_Hant", "繁體中文"), ("en", "English")]


class MarketFieldsForm(forms.Form):
    name = forms.CharField(label=_("Market name"), max_length=200)
    summary_account_no = forms.CharField(
        label=_("Summary account number"),
        max_length=32,
        help_text=_("The custody summary account members pay into: 8 to 32 digits."),
    )
    summary_account_name = forms.CharField(label=_("Summary account name"), max_length=200)
    summary_bank = forms.CharField(
        label=_("Opening bank"),
        max_length=200,
        required=False,
        help_text=_("Choose the branch below, or type the opening bank's name."),
    )
    # rendered by the branch picker (banks/_branch_picker.html), not as a text input
    summary_branch_code = forms.CharField(max_length=16, required=False)
    b2b_review = forms.BooleanField(
        label=_("B2B trade review"),
        required=False,
        help_text=_("Members review the market's B2B trades before they are booked."),
    )
    currencies = forms.MultipleChoiceField(
        label=_("Currencies"),
        choices=[(c, c) for c in CURRENCIES],
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def initial_for(cls, market: Market) -> dict[str, object]:
        return {
            "name": market.name,
            "summary_account_no": market.summary_account_no,
            "summary_account_name": market.summary_account_name,
            "summary_bank": market.summary_bank,
            "summary_branch_code": market.summary_branch.code if market.summary_branch else "",
            "b2b_review": market.b2b_review,
            "currencies": list(market.currencies),
        }


class MarketCreateForm(MarketFieldsForm):
    code = forms.CharField(
        label=_("Market code"),
        max_length=16,
        help_text=_("2–16 capital letters and digits, starting with a letter; never changes."),
    )
    agreement_title = forms.CharField(label=_("Service agreement title"), max_length=200)
    agreement_body = forms.CharField(
        label=_("Service agreement text"), max_length=50_000, widget=forms.Textarea
    )
    admin_username = forms.CharField(label=_("Administrator's login name"), max_length=150)
    admin_full_name = forms.CharField(label=_("Administrator's name"), max_length=200)
    admin_email = forms.CharField(label=_("Administrator's e-mail"), max_length=254, required=False)
    admin_phone = forms.CharField(label=_("Administrator's mobile"), max_length=32, required=False)
    admin_language = forms.ChoiceField(
        label=_("Administrator's language"), choices=LANGUAGES, initial="zh_Hans"
    )

    field_order = ["code", *MarketFieldsForm.base_fields]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.Textarea
    )


class AgreementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=50_000, widget=forms.Textarea)
