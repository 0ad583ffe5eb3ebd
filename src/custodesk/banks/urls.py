"""Console pages of the banks module, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("banks/branch-picker/", views.branch_picker, name="banks_branch_picker"),
]
