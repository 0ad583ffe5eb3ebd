from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Message


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Message.Status.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All")), *Message.Channel.choices]
    )
    template = forms.CharField(label=_("Template"), required=False, max_length=100)
    recipient = forms.CharField(label=_("Recipient"), required=False, max_length=320)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=200
    )
