from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BanksConfig(AppConfig):
    name = "custodesk.banks"
    label = "banks"
    verbose_name = _("Banks and card authentication")
