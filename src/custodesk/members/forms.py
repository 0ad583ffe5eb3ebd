"""Console forms of the members module: the fields only — the services check them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IdType


class EnterpriseRegisterForm(forms.Form):
    id_type = forms.ChoiceField(
        label=_("ID type"),
        choices=[(IdType.USCC, IdType.USCC.label), (IdType.ORG_CODE, IdType.ORG_CODE.label)],
    )
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100)
    contact_name = forms.CharField(label=_("Contact"), max_length=100)
    mobile = forms.CharField(
        label=_("Registered mobile"), max_length=32, help_text=_("The SMS code goes here.")
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    address = forms.CharField(label=_("Address"), max_length=300)
    desired_username = forms.CharField(
        label=_("Desired login name"),
        max_length=32,
        help_text=_("4–32 characters; starts with a letter; letters, digits, . @ - _"),
    )
    archive = forms.FileField(
        label=_("Documents (one zip or rar, at most 5 MB)"),
        help_text=_(
            "Account opening permit, business licence, organisation code certificate, tax "
            "registration, the legal representative's ID (both sides), the authorisation "
            "letter and the agent's ID (both sides), stamped with the company seal."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.rar"}),
    )


class IndividualRegisterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    id_type = forms.ChoiceField(
        label=_("ID type"),
        choices=[(IdType.CN_RIC, IdType.CN_RIC.label), (IdType.HKID, IdType.HKID.label)],
    )
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    card_number = forms.CharField(
        label=_("Card number"), max_length=32, help_text=_("16 to 19 digits.")
    )
    phone = forms.CharField(
        label=_("Bank-reserved mobile"),
        max_length=32,
        help_text=_("The mobile number the bank holds for this card; the SMS code goes here."),
    )


class CodeForm(forms.Form):
    sms_code = forms.CharField(label=_("SMS code"), max_length=12, required=False)


class ForgotEnterpriseForm(forms.Form):
    id_type = EnterpriseRegisterForm.base_fields["id_type"]
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    mobile = forms.CharField(label=_("Registered mobile"), max_length=32)
    sms_code = forms.CharField(label=_("SMS code"), max_length=12, required=False)


class ForgotIndividualForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    id_type = IndividualRegisterForm.base_fields["id_type"]
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    card_number = forms.CharField(label=_("Card number"), max_length=32)
    phone = forms.CharField(label=_("Bank-reserved mobile"), max_length=32)
    sms_code = forms.CharField(label=_("SMS code"), max_length=12, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
