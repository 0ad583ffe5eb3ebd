from django.urls import include, path
from django.views.generic import RedirectView

from custodesk.core import health

from .api import api

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/", include("custodesk.console.urls")),
    # the sign-in captcha's images (django-simple-captcha's views; identity.captcha)
    path("captcha/", include("captcha.urls")),
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
]
