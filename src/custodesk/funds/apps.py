from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "custodesk.funds"
    label = "funds"
    verbose_name = _("Deposits and withdrawals")
