from django.urls import path, re_path

from . import views

_ORDER = r"(?P<order_id>[0-9a-f-]{36})"

urlpatterns = [
    path("workorders/", views.centre, name="workorders_centre"),
    path("workorders/new/", views.order_new, name="workorders_new"),
    path("workorders/batch/", views.batch, name="workorders_batch"),
    re_path(rf"^workorders/{_ORDER}/$", views.order_detail, name="workorders_detail"),
    re_path(
        rf"^workorders/{_ORDER}/(?P<action>approve|reject|cancel|submit)/$",
        views.order_action,
        name="workorders_action",
    ),
    re_path(
        rf"^workorders/{_ORDER}/attachments/(?P<attachment_id>[0-9a-f-]{{36}})/$",
        views.attachment,
        name="workorders_attachment",
    ),
    re_path(
        r"^workorders/clients/(?P<client_no>[0-9]{1,16})/messages/$",
        views.client_messages,
        name="workorders_client_messages",
    ),
]
