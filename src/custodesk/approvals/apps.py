from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "custodesk.approvals"
    label = "approvals"
    verbose_name = _("Approvals")
