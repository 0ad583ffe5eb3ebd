from django.urls import path

from . import views

urlpatterns = [
    path("funds/deposit/", views.deposit, name="funds_deposit"),
    path("funds/withdrawal/", views.withdrawal, name="funds_withdrawal"),
    path("funds/code/<str:direction>/", views.code_send, name="funds_code"),
    path("funds/movements/", views.movements, name="funds_movements"),
    path("funds/movements/<uuid:movement_id>/", views.movement, name="funds_movement"),
    path("funds/staff/movements/", views.staff_movements, name="funds_staff_movements"),
    path("funds/staff/unknown/", views.unknown, name="funds_unknown"),
    path("funds/staff/limits/", views.limits, name="funds_limits"),
]

# the account and transaction queries, statements and receipts (urls_queries.py)
from . import urls_queries  # noqa: E402

urlpatterns += urls_queries.urlpatterns
