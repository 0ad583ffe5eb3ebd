"""Custodesk settings, read from the environment (prefix ``CUSTODESK_``).

One settings module for every environment: what differs between a developer's
embedded SQLite run, the test suite and production is decided by environment
variables, never by editing this file.  The variables are listed in
``docs/operations.md``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"CUSTODESK_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("VAR_DIR") or Path.cwd() / "var").resolve()

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("TESTING", False)

# -- database -----------------------------------------------------------------
EMBEDDED_DATABASE = env("DATABASE_URL") is None
if EMBEDDED_DATABASE:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _db: dict[str, Any] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "custodesk.db"),
    }
else:
    _db = dict(dj_database_url.parse(env("DATABASE_URL") or "", conn_max_age=60))

if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Writers serialise on SQLite: BEGIN IMMEDIATE takes the write lock up front
    # (row locks do not exist there) and a busy timeout makes the others wait.
    # synchronous=FULL: in WAL mode every commit is fsync'ed before it returns, so a
    # committed transfer survives a power loss or an OS crash (NORMAL survives only a
    # killed process: the last commits could be lost).  A system that holds money pays
    # the fsync per commit (docs/security.md "Transport and storage").
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a database file in WAL mode, as production does: the in-memory default
    # is a shared-cache database whose table locks (SQLITE_LOCKED) the busy timeout
    # does not wait out, so concurrent requests to the live server failed there only.
    # One file per test process, so that two runs at once do not share it.
    _db["TEST"] = {
        "NAME": env("TEST_SQLITE_NAME") or str(VAR_DIR / f"test-custodesk-{os.getpid()}.db")
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # psycopg keeps a plan for the hot statements run through custodesk.core.sql
    # (prepare=True).  Django's own cursors bind client-side and are never prepared;
    # its default (None) would switch preparing off altogether.
    _db["OPTIONS"] = {"prepare_threshold": None if env("PG_NO_PREPARE") else 1_000_000}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- secret key ---------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY") or ""
if not SECRET_KEY:
    if EMBEDDED_DATABASE or TESTING or DEBUG:
        # The embedded default generates one key per installation, kept in ./var.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file = VAR_DIR / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        SECRET_KEY = key_file.read_text().strip()
    else:
        raise ImproperlyConfigured(
            "CUSTODESK_SECRET_KEY must be set when CUSTODESK_DATABASE_URL names a server "
            "database (production mode)."
        )

ALLOWED_HOSTS = (env("ALLOWED_HOSTS") or "127.0.0.1,localhost,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o]

# -- applications -------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "captcha",  # django-simple-captcha: the sign-in captcha (identity.captcha)
    "django_htmx",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    # django-ninja's templates and static files: the API docs (Swagger UI) are served
    # from here, not from a CDN (they work offline, under the CSP)
    "ninja",
    "custodesk.core",
    "custodesk.audit",
    "custodesk.identity",
    "custodesk.approvals",
    "custodesk.ledger",
    "custodesk.notify",
    "custodesk.console",
    # the business modules: funds custody (markets, members, contracts) and the broker
    "custodesk.banks",
    "custodesk.markets",
    "custodesk.members",
    "custodesk.contracts",
    "custodesk.brokerage",
    "custodesk.funds",
    "custodesk.workorders",
    "custodesk.workorders.imports",
]
# The test settings install a module that lives under tests/ (tests/sample_module): it
# shows that a module registers itself by being installed (core.modules, CONTRIBUTING.md).
SAMPLE_MODULE_ROOT = PACKAGE_DIR.parent.parent
if TESTING and (SAMPLE_MODULE_ROOT / "tests" / "sample_module" / "module.py").is_file():
    if str(SAMPLE_MODULE_ROOT) not in sys.path:
        sys.path.append(str(SAMPLE_MODULE_ROOT))
    INSTALLED_APPS.append("tests.sample_module")

# ConsoleOnly wrappers (custodesk.core.middleware) run their middleware for everything
# but /api/: bearer-token JSON requests need no cookie session, CSRF token, messages,
# static files, CSP or htmx.  Security headers, the request context (request id,
# audit context), the language and request.user apply to both.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "custodesk.core.middleware.StaticFiles",  # whitenoise
    "custodesk.core.middleware.RequestContextMiddleware",
    "custodesk.core.middleware.Sessions",
    "django.middleware.locale.LocaleMiddleware",
    "custodesk.core.middleware.Common",
    "custodesk.core.middleware.Csrf",
    "custodesk.core.middleware.Authentication",
    "custodesk.core.middleware.ConsoleSession",
    "custodesk.core.middleware.Messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "custodesk.core.middleware.ContentSecurityPolicy",
    "custodesk.core.middleware.Htmx",
]

ROOT_URLCONF = "custodesk.config.urls"
WSGI_APPLICATION = "custodesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "custodesk.console.context_processors.shell",
            ],
        },
    },
]

# -- identity -----------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "console:sign_in"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; the suite signs in hundreds of times.  The
    # hasher is still argon2, with the smallest cost it accepts.
    PASSWORD_HASHERS = ["custodesk.identity.hashers.FastArgon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "custodesk.identity.passwords.LettersAndDigitsValidator"},
]
CUSTODESK_LOCKOUT_THRESHOLD = env_int("LOCKOUT_THRESHOLD", 5)
CUSTODESK_LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", 15)
CUSTODESK_API_TOKEN_HOURS = env_int("API_TOKEN_HOURS", 12)
# Seconds a worker process may reuse a bearer token's session, user and permissions
# without asking the database (identity.selectors.session_by_token).  0 (the default):
# every API request reads them.  Above 0, an ended session, a locked user or a revoked
# role reaches other processes only after at most this long.
CUSTODESK_API_SESSION_CACHE_SECONDS = env_int("API_SESSION_CACHE_SECONDS", 0)
if not 0 <= CUSTODESK_API_SESSION_CACHE_SECONDS <= 60:
    raise ImproperlyConfigured("CUSTODESK_API_SESSION_CACHE_SECONDS must be 0 to 60")
CUSTODESK_SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
CUSTODESK_TOTP_ISSUER = env("TOTP_ISSUER") or "Custodesk"
# How many reverse proxies stand in front of the server, each appending the address it
# received the request from to X-Forwarded-For: the client's address is the N-th entry
# from the right (custodesk.core.middleware.client_ip).  0 (the default): the header is
# ignored and the connection's peer is the client.  The former TRUSTED_PROXY=1 means 1.
CUSTODESK_TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if env_bool("TRUSTED_PROXY") else 0)
if not 0 <= CUSTODESK_TRUSTED_PROXIES <= 10:
    raise ImproperlyConfigured("CUSTODESK_TRUSTED_PROXIES must be 0 to 10")
CUSTODESK_DEVICE_COOKIE = "custodesk_device"
OTP_TOTP_ISSUER = CUSTODESK_TOTP_ISSUER
# django-otp's own per-device throttling reads the wall clock; brute force is
# stopped by the account lockout above (clock-injected, 5 failures → 15 min).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
# CUSTODESK_HTTPS=1: the deployment is served over TLS (a TLS-terminating proxy in front
# of `custodesk serve`).  It switches on together: HSTS (CUSTODESK_HSTS_SECONDS, default
# one year), Secure session, CSRF, language and device cookies, and — only when
# CUSTODESK_TRUSTED_PROXIES > 0 — trust in the proxies' X-Forwarded-Proto.
CUSTODESK_HTTPS = env_bool("HTTPS", False)
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000) if CUSTODESK_HTTPS else 0
SESSION_COOKIE_SECURE = CUSTODESK_HTTPS or env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
if CUSTODESK_HTTPS and CUSTODESK_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "custodesk.console.errors.csrf_failure"  # a 403: kept as a security event
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# -- sign-in captcha (django-simple-captcha; custodesk.identity.captcha) ---------------
CAPTCHA_CHALLENGE_FUNCT = "custodesk.identity.captcha.challenge"
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 5  # minutes
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_2X_IMAGE = False
CAPTCHA_GET_FROM_POOL = False  # a new image each time: a key is used by one answer

# -- content security policy (django-csp 4) ------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# -- internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("zh-hant", "繁體中文"),
    ("zh-hans", "简体中文"),
    ("en", "English"),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE") or "Asia/Hong_Kong"
LANGUAGE_COOKIE_NAME = "custodesk_language"

# -- static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (TESTING or DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
if TESTING or DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# -- background jobs (django-tasks, database backend) --------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Periodic jobs: each module declares its own (schedule= in its module.py).

# -- anchors: the audit chain's head and the latest ledger seal, outside the database --
# Append-only signed logs (one per chain) in this directory; the HMAC key is
# CUSTODESK_ANCHOR_KEY, else a key file made on first use (mode 0600).  Keep neither
# in the database, nor where its administrators can write (docs/security.md).
CUSTODESK_ANCHOR_DIR = Path(env("ANCHOR_DIR") or VAR_DIR / "anchors")
CUSTODESK_ANCHOR_KEY = env("ANCHOR_KEY") or ""
CUSTODESK_ANCHOR_KEY_FILE = Path(env("ANCHOR_KEY_FILE") or VAR_DIR / "anchor_key")
# how often the worker anchors them (audit and ledger module.py, schedule=)
CUSTODESK_ANCHOR_SECONDS = env_int("ANCHOR_SECONDS", 300)

# -- e-mail -------------------------------------------------------------------
EMAIL_HOST = env("EMAIL_HOST") or "127.0.0.1"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_USER") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # implicit TLS (port 465); TLS = STARTTLS
DEFAULT_FROM_EMAIL = env("EMAIL_FROM") or "custodesk@localhost"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"

# -- the outbox (custodesk.notify): senders per channel, retries ------------------
CUSTODESK_NOTIFY_SENDERS = {
    "email": env("NOTIFY_EMAIL_SENDER") or "custodesk.notify.senders.DjangoEmailSender",
    "sms": env("NOTIFY_SMS_SENDER") or "custodesk.notify.senders.FileSmsSender",
    "webhook": env("NOTIFY_WEBHOOK_SENDER") or "custodesk.notify.senders.HttpWebhookSender",
}
CUSTODESK_NOTIFY_TIMEOUT_SECONDS = env_int("NOTIFY_TIMEOUT_SECONDS", 15)
# a worker's claim on a message; must outlast one send (the timeout) with room to spare
CUSTODESK_NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 120)
CUSTODESK_NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 12)
CUSTODESK_NOTIFY_BACKOFF_SECONDS = env_int("NOTIFY_BACKOFF_SECONDS", 30)
CUSTODESK_NOTIFY_BACKOFF_MAX_SECONDS = env_int("NOTIFY_BACKOFF_MAX_SECONDS", 3600)
# -- funds queries (TXN-QUERY): how many days back transactions and statements go ----
CUSTODESK_FUNDS_HISTORY_DAYS = env_int("FUNDS_HISTORY_DAYS", 365)

# -- deposits and withdrawals (custodesk.funds): the payment rail -------------------
# the rail adapter class (custodesk.funds.rails.PaymentRail); the embedded default is a
# deterministic stand-in configured by the CUSTODESK_RAIL_* values (docs/custody.md)
CUSTODESK_PAYMENT_RAIL = env("PAYMENT_RAIL") or "custodesk.funds.rails.EmbeddedRail"
CUSTODESK_RAIL_LATENCY_MS = env_int("RAIL_LATENCY_MS", 0)
CUSTODESK_RAIL_FAIL_ABOVE = env("RAIL_FAIL_ABOVE") or ""
CUSTODESK_RAIL_FAIL_CARDS = env("RAIL_FAIL_CARDS", "0000")
CUSTODESK_RAIL_UNKNOWN_CARDS = env("RAIL_UNKNOWN_CARDS", "9999")
CUSTODESK_RAIL_UNKNOWN_SECONDS = env_int("RAIL_UNKNOWN_SECONDS", 60)
# how often the reconciliation job asks the rail about a transfer still unknown
CUSTODESK_RAIL_RECHECK_SECONDS = env_int("RAIL_RECHECK_SECONDS", 60)

# -- logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

APPEND_SLASH = True
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CUSTODESK_STAFF_ORGANISATION = "STAFF"
CUSTODESK_PAGE_SIZES = (20, 50, 100)
CUSTODESK_VERBOSE_NAME = _("Custodesk")
