"""Operation records' console pages, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/<uuid:public_id>/", views.audit_detail, name="audit_detail"),
]
