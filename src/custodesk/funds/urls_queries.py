"""Console pages of the account and transaction queries, under /console/funds/."""

from django.urls import path

from . import views_queries as v

urlpatterns = [
    path("funds/accounts/", v.accounts, name="funds_accounts"),
    path("funds/accounts/<uuid:contract_id>/", v.account, name="funds_account"),
    path(
        "funds/accounts/<uuid:contract_id>/statement/",
        v.statement,
        name="funds_account_statement",
    ),
    path("funds/transactions/", v.transaction_list, name="funds_transactions"),
    path("funds/transactions/export/", v.transaction_export, name="funds_transactions_export"),
    path("funds/transactions/<uuid:txn_id>/", v.transaction, name="funds_transaction"),
    path("funds/transactions/<uuid:txn_id>/receipt/", v.receipt, name="funds_receipt"),
]
