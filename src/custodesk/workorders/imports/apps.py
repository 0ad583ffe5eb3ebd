from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "custodesk.workorders.imports"
    label = "workorder_imports"
    verbose_name = _("Work-order import")
