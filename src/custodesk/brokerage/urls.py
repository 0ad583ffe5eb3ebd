from django.urls import path, re_path

from . import views_actions, views_detail, views_list, views_people

_NUMBER = r"(?P<number>[0-9]{9})"
_CLIENT = r"(?P<client_no>[0-9]{8})"

urlpatterns = [
    # clients and accounts (brokerage-core)
    path("brokerage/clients/", views_detail.clients, name="brokerage_clients"),
    path("brokerage/clients/new/", views_people.client_new, name="brokerage_client_new"),
    re_path(
        rf"^brokerage/clients/{_CLIENT}/$", views_detail.client_detail, name="brokerage_client"
    ),
    re_path(
        rf"^brokerage/clients/{_CLIENT}/edit/$",
        views_people.client_edit,
        name="brokerage_client_edit",
    ),
    re_path(
        rf"^brokerage/clients/{_CLIENT}/agents/new/$",
        views_people.agent_new,
        name="brokerage_agent_new",
    ),
    re_path(
        rf"^brokerage/clients/{_CLIENT}/related/new/$",
        views_people.related_new,
        name="brokerage_related_new",
    ),
    re_path(
        rf"^brokerage/clients/{_CLIENT}/(?P<action>[a-z-]+)/$",
        views_actions.client_action,
        name="brokerage_client_action",
    ),
    path(
        "brokerage/agents/<uuid:agent_id>/<str:action>/",
        views_people.agent_edit,
        name="brokerage_agent_edit",
    ),
    path(
        "brokerage/related/<uuid:person_id>/<str:action>/",
        views_people.related_edit,
        name="brokerage_related_edit",
    ),
    re_path(
        rf"^brokerage/accounts/{_NUMBER}/$", views_detail.account_detail, name="brokerage_account"
    ),
    re_path(
        rf"^brokerage/accounts/{_NUMBER}/freeze/$",
        views_actions.account_action,
        {"action": "freeze"},
        name="brokerage_account_freeze",
    ),
    re_path(
        rf"^brokerage/accounts/{_NUMBER}/unfreeze/$",
        views_actions.account_action,
        {"action": "unfreeze"},
        name="brokerage_account_unfreeze",
    ),
    re_path(
        rf"^brokerage/accounts/{_NUMBER}/close/$",
        views_actions.account_action,
        {"action": "close"},
        name="brokerage_account_close",
    ),
    re_path(
        rf"^brokerage/accounts/{_NUMBER}/(?P<action>deposit|withdrawal)/$",
        views_actions.account_action,
        name="brokerage_account_cash",
    ),
    # account list, trading permissions, flags, records query (brokerage-list)
    *views_list.urlpatterns,
]
