"""The approval engine's console pages, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("approvals/", views.inbox, name="approvals"),
    path("approvals/batch/", views.batch, name="approval_batch"),
    path("approvals/flows/", views.flow_list, name="approval_flows"),
    path("approvals/flows/<str:action_type>/", views.flow_edit, name="approval_flow_edit"),
    path("approvals/<uuid:public_id>/", views.detail, name="approval_detail"),
    path("approvals/<uuid:public_id>/<slug:action>/", views.decide, name="approval_decide"),
]
