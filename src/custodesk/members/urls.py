"""Console pages of the members module (``console:<name>``): the public registration
and recovery pages and the counter's review."""

from django.urls import path

from . import views_counter, views_public

urlpatterns = [
    path("register/", views_public.register_start, name="member_register"),
    path(
        "register/enterprise/", views_public.register_enterprise, name="member_register_enterprise"
    ),
    path(
        "register/enterprise/confirm/",
        views_public.register_enterprise_confirm,
        name="member_register_enterprise_confirm",
    ),
    path(
        "register/individual/", views_public.register_individual, name="member_register_individual"
    ),
    path(
        "register/individual/confirm/",
        views_public.register_individual_confirm,
        name="member_register_individual_confirm",
    ),
    path("register/done/", views_public.register_done, name="member_register_done"),
    path("forgot/", views_public.forgot, name="member_forgot"),
    path("forgot/<slug:kind>/", views_public.forgot, name="member_forgot_kind"),
    path("counter/applications/", views_counter.application_list, name="member_applications"),
    path("counter/members/", views_counter.member_list, name="member_list"),
    path(
        "counter/applications/<uuid:public_id>/",
        views_counter.application_detail,
        name="member_application",
    ),
    path(
        "counter/applications/<uuid:public_id>/approve/",
        views_counter.application_approve,
        name="member_application_approve",
    ),
    path(
        "counter/applications/<uuid:public_id>/archive/",
        views_counter.application_archive,
        name="member_application_archive",
    ),
]
