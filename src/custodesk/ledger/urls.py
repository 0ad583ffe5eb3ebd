"""The ledger's console pages, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("ledger/accounts/", views.account_list, name="ledger_accounts"),
    path("ledger/accounts/<str:code>/", views.account_detail, name="ledger_account"),
    path("ledger/accounts/<str:code>/freeze/", views.freeze_place, name="ledger_freeze"),
    path(
        "ledger/accounts/<str:code>/freezes/<uuid:freeze_id>/release/",
        views.freeze_release,
        name="ledger_freeze_release",
    ),
    path("ledger/accounts/<str:code>/close/", views.account_close, name="ledger_account_close"),
    path("ledger/transfers/", views.transfer_list, name="ledger_transfers"),
    path("ledger/holds/", views.hold_list, name="ledger_holds"),
    path("ledger/freezes/", views.freeze_list, name="ledger_freezes"),
    path("ledger/refused/", views.refused_list, name="ledger_refused"),
]
