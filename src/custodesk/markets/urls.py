"""Console pages of the markets module, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("markets/", views.market_list, name="markets_list"),
    path("markets/new/", views.market_new, name="markets_new"),
    path("markets/mine/", views.own_market, name="markets_own"),
    path("markets/<uuid:public_id>/", views.market_detail, name="markets_detail"),
    path("markets/<uuid:public_id>/edit/", views.market_edit, name="markets_edit"),
    path(
        "markets/<uuid:public_id>/agreements/new/",
        views.agreement_new,
        name="markets_agreement_new",
    ),
    path(
        "markets/<uuid:public_id>/agreements/<int:version>/",
        views.agreement_detail,
        name="markets_agreement",
    ),
    path("markets/<uuid:public_id>/<slug:verb>/", views.market_status, name="markets_status"),
]
