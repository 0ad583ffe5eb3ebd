"""Console pages, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import views

urlpatterns = [path("sample/", views.page, name="sample_page")]
