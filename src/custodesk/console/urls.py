"""/console/: the console's own home page, then each installed module's ``urls.py``
(declared as ``console_urls`` in its ``module.py``), all in the ``console`` namespace."""

from django.urls import include, path

from custodesk.core import modules

from . import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    *(path("", include(urls)) for urls in modules.console_urls()),
]
