from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrokerageConfig(AppConfig):
    name = "custodesk.brokerage"
    label = "brokerage"
    verbose_name = _("Broker back office")
