from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "custodesk.core"
    label = "core"
    verbose_name = "Custodesk kernel"
