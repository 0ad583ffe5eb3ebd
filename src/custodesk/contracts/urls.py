"""Console pages of contracts and the member's own data, under /console/."""

from django.urls import path

from . import views, views_member

urlpatterns = [
    path("custody/contracts/", views.contract_list, name="contracts"),
    path("custody/contracts/markets/", views.market_list, name="contract_markets"),
    path(
        "custody/contracts/markets/<uuid:market_id>/sign/",
        views.contract_sign,
        name="contract_sign",
    ),
    path("custody/contracts/<uuid:public_id>/", views.contract_detail, name="contract_detail"),
    path(
        "custody/contracts/<uuid:public_id>/cancel/", views.contract_cancel, name="contract_cancel"
    ),
    path(
        "custody/contracts/<uuid:public_id>/market-state/",
        views.market_state,
        name="contract_market_state",
    ),
    path("custody/members/", views.member_list, name="contract_members"),
    path("custody/code/<slug:purpose>/", views.code_send, name="custody_code"),
    path("custody/me/cards/", views_member.cards, name="member_cards"),
    path("custody/me/info/", views_member.info, name="member_info"),
    path("custody/me/phone/code/", views_member.phone_code, name="member_phone_code"),
    path("custody/me/phone/", views_member.phone, name="member_phone"),
    path("custody/me/close/", views_member.close, name="member_close"),
]
