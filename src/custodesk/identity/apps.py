from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "custodesk.identity"
    label = "identity"
    verbose_name = _("Identity and access")

    def ready(self) -> None:
        from . import approvals, permissions  # noqa: F401
