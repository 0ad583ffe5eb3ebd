from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "custodesk.core"
    label = "core"
    verbose_name = "Custodesk kernel"

    def ready(self) -> None:
        from . import modules

        # every installed module's declarations (custodesk.core.modules), read at start
        modules.load()
