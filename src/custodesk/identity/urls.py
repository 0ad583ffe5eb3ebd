"""Identity's console pages, included under /console/ (``console:<name>``)."""

from django.urls import path

from . import sign_in_views, views

urlpatterns = [
    path("sign-in/", sign_in_views.sign_in, name="sign_in"),
    path("sign-in/captcha/", sign_in_views.sign_in_captcha, name="sign_in_captcha"),
    path("sign-in/code/", sign_in_views.sign_in_otp, name="sign_in_otp"),
    path("sign-in/code/resend/", sign_in_views.sign_in_sms_resend, name="sign_in_sms_resend"),
    path("sign-out/", sign_in_views.sign_out, name="sign_out"),
    path("password/", views.password_change, name="password_change"),
    path("security/", views.security, name="security"),
    path("security/login-name/", sign_in_views.username_change, name="username_change"),
    path("security/totp/", views.totp_begin, name="totp_begin"),
    path("security/totp/confirm/", views.totp_confirm, name="totp_confirm"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<uuid:public_id>/", views.user_detail, name="user_detail"),
    path("users/<uuid:public_id>/grant/", views.user_grant, name="user_grant"),
    path(
        "users/<uuid:public_id>/roles/<uuid:role_id>/revoke/",
        views.user_revoke,
        name="user_revoke",
    ),
    path("users/<uuid:public_id>/<slug:action>/", views.user_action, name="user_action"),
    path("roles/", views.role_list, name="role_list"),
    path("login-devices/", views.login_devices, name="login_devices"),
    path("security-events/", views.security_events, name="security_events"),
    path(
        "sessions/<uuid:public_id>/force-logout/",
        views.session_force_logout,
        name="session_force_logout",
    ),
]
