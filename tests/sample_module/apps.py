from django.apps import AppConfig


class SampleModuleConfig(AppConfig):
    name = "tests.sample_module"
    label = "sample_module"
    verbose_name = "Sample module"
