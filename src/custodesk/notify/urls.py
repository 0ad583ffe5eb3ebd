"""The outbox's console pages, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("notify/messages/", views.message_list, name="notify_messages"),
    path("notify/messages/<uuid:public_id>/", views.message_detail, name="notify_message"),
    path(
        "notify/messages/<uuid:public_id>/<slug:action>/",
        views.message_action,
        name="notify_message_action",
    ),
    path("notify/phone/", views.phone, name="notify_phone"),
]
