from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "custodesk.identity"
    label = "identity"
    verbose_name = _("Identity and access")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Organisation, Role, RoleGrant, User, UserSession
        from .services import forget_cached_sessions

        # a cached API session (CUSTODESK_API_SESSION_CACHE_SECONDS) must not outlive a
        # change to what it was built from, in this process
        for model in (Organisation, Role, RoleGrant, User, UserSession):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_cached_sessions,
                    sender=model,
                    dispatch_uid=f"identity-forget-sessions-{model.__name__}-{id(signal)}",
                )
