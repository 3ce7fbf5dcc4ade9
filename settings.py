"""Samverka settings, read from the environment.

Development needs nothing installed: SQLite, the in-memory channel layer and keys
generated under ``var/keys``. With ``SAMVERKA_ENV=production`` every secret must come
from the environment or a key file, and the in-memory channel layer is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
ENVIRONMENT = os.environ.get("SAMVERKA_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"


def env(name: str, default: str | None = None) -> str:
    """A setting from the environment; production refuses a missing secret."""
    value = os.environ.get(name)
    if value:
        return value
    if default is None or PRODUCTION:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return default


def env_list(name: str, default: str) -> list[str]:
    raw = os.environ.get(name) or ("" if PRODUCTION else default)
    return [item.strip() for item in raw.split(",") if item.strip()]


KEY_DIR = Path(env("SAMVERKA_KEY_DIR", str(BASE_DIR / "var" / "keys")))

if PRODUCTION:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
else:
    from keystore import development_secret_key

    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or development_secret_key(KEY_DIR)

DEBUG = not PRODUCTION and os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "audit",
    "coordination",
    "consent",
    "realtime",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "frontend.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestIdMiddleware",
]

ROOT_URLCONF = "urls"
ASGI_APPLICATION = "asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'samverka.sqlite3'}"),
        conn_max_age=0 if not PRODUCTION else 60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing at once (the audit chain has one writer).
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("Set the environment variable REDIS_URL.")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis blocks up to 5 s on a read; redis-py's own socket timeout
                # must be longer, or idle receives fail with "Timeout reading".
                # redis-py's pool fails a call outright (MaxConnectionsError) once 100 are
                # in flight; a burst of sends must wait for Redis, not lose announcements.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 10,
                        "max_connections": int(
                            os.environ.get("SAMVERKA_REDIS_MAX_CONNECTIONS", "1000")
                        ),
                    }
                ],
                "capacity": int(os.environ.get("SAMVERKA_CHANNEL_CAPACITY", "1500")),
                "expiry": int(os.environ.get("SAMVERKA_CHANNEL_EXPIRY", "60")),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:start"
LOGOUT_REDIRECT_URL = "frontend:login"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("Engelska"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = (
    Path(os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
    if PRODUCTION
    else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "coordination.api.schema.SamverkaAutoSchema",
    "EXCEPTION_HANDLER": "coordination.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Samverka API",
    "DESCRIPTION": "Samverkan kring ärenden om våld i nära relationer och hedersrelaterat våld.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "samverka@localhost")

# Logging never carries identity data: messages name pseudonymous case references only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SAMVERKA = {
    # Audit checkpoints: every N entries or T seconds, whichever comes first.
    "AUDIT_CHECKPOINT_EVERY": int(os.environ.get("SAMVERKA_AUDIT_CHECKPOINT_EVERY", "100")),
    "AUDIT_CHECKPOINT_SECONDS": int(os.environ.get("SAMVERKA_AUDIT_CHECKPOINT_SECONDS", "300")),
    # Realtime (docs/protocol.md): how often each connection catches up from the database
    # and re-joins its channel-layer groups, and how often it asks the policy again.
    "REALTIME_TICK_SECONDS": float(os.environ.get("SAMVERKA_REALTIME_TICK_SECONDS", "5")),
    "REALTIME_ACCESS_RECHECK_SECONDS": float(
        os.environ.get("SAMVERKA_REALTIME_ACCESS_RECHECK_SECONDS", "30")
    ),
    "REALTIME_PUBLISH_TIMEOUT": float(os.environ.get("SAMVERKA_REALTIME_PUBLISH_TIMEOUT", "1")),
    # Threads per process for the connections' database work (one on SQLite).
    "REALTIME_DB_THREADS": int(os.environ.get("SAMVERKA_REALTIME_DB_THREADS", "4")),
    "REALTIME_MAX_FRAME_BYTES": 16384,
    "REALTIME_MAX_MESSAGE_CHARS": 4000,
    "REALTIME_FRAME_BURST": 60,
    "REALTIME_FRAMES_PER_SECOND": 30,
    "REALTIME_SEND_BURST": 10,
    "REALTIME_SENDS_PER_SECOND": 5,
}

# Links in e-mail (calls to meetings) point here; the site's own address in production.
SAMVERKA_BASE_URL = os.environ.get("SAMVERKA_BASE_URL", "http://localhost:8000")


# --- Security (docs/security.md) ---------------------------------------------------------

# Every login needs a verified TOTP device (or a strong SSO login) in production; in
# development it is optional so that the demo logins of `make run` keep working.
SAMVERKA_REQUIRE_SECOND_FACTOR = (
    PRODUCTION or os.environ.get("SAMVERKA_REQUIRE_SECOND_FACTOR", "0") == "1"
)
OTP_TOTP_ISSUER = "Samverka"
# Failed logins per username and per client address within the window lock further tries.
SAMVERKA_LOGIN_THROTTLE = {
    "USER_FAILURES": int(os.environ.get("SAMVERKA_LOGIN_USER_FAILURES", "5")),
    "IP_FAILURES": int(os.environ.get("SAMVERKA_LOGIN_IP_FAILURES", "20")),
    "WINDOW_SECONDS": int(os.environ.get("SAMVERKA_LOGIN_WINDOW_SECONDS", "900")),
}
# Erasure, key rotation and the audit export ask for the password (and code) again.
SAMVERKA_REAUTH_SECONDS = 300

# Login counters must be shared by every Daphne process in production (Redis); the
# development default needs nothing installed.
CACHES = (
    {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "samverka",
        }
    }
    if PRODUCTION
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

SESSION_COOKIE_NAME = "__Host-sessionid" if PRODUCTION else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if PRODUCTION else "csrftoken"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"


def _websocket_origin(base_url: str) -> str:
    scheme, _sep, rest = base_url.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}"


# No inline script or style anywhere: every page loads its .js and .css from 'self'.
# CSP level 3 lets 'self' cover ws(s) to the page's own host; the site's own WebSocket
# origin is named too for browsers that do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", _websocket_origin(SAMVERKA_BASE_URL)],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The API's schema is for signed-in people, like the API itself, and documents the
# error answers every operation can give.
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "coordination.api.schema.document_errors",
]

# Single sign-on through OpenID Connect (off by default). A provider's subject claim
# (for Swedish e-identification the personal identity number) is matched, as a keyed
# hash, to a person an administrator linked beforehand; unknown subjects are refused.
SAMVERKA_OIDC_ENABLED = os.environ.get("SAMVERKA_OIDC_ENABLED", "0") == "1"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "frontend.sso.SamverkaOIDCBackend",
]
OIDC_RP_CLIENT_ID = os.environ.get("SAMVERKA_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("SAMVERKA_OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid"
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("SAMVERKA_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("SAMVERKA_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("SAMVERKA_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("SAMVERKA_OIDC_JWKS_ENDPOINT", "")
SAMVERKA_OIDC_ISSUER = os.environ.get("SAMVERKA_OIDC_ISSUER", "")
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_AUTHENTICATION_CALLBACK_URL = "frontend:sso_callback"
OIDC_VERIFY_SSL = True
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/login/"
# The claim that names the person, and the assurance levels accepted as strong login
# (Swedish eID framework LoA 3 and 4).
SAMVERKA_OIDC_SUBJECT_CLAIM = os.environ.get(
    "SAMVERKA_OIDC_SUBJECT_CLAIM", "https://id.oidc.se/claim/personalIdentityNumber"
)
SAMVERKA_OIDC_ACCEPTED_ACR = [
    item.strip()
    for item in (
        os.environ.get("SAMVERKA_OIDC_ACCEPTED_ACR")
        or "http://id.elegnamnden.se/loa/1.0/loa3,http://id.elegnamnden.se/loa/1.0/loa4"
    ).split(",")
    if item.strip()
]
if PRODUCTION and SAMVERKA_OIDC_ENABLED:
    for _name in ("OIDC_RP_CLIENT_ID", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT"):
        if not globals()[_name]:
            raise ImproperlyConfigured(f"Single sign-on is on but {_name} is not set.")

# Every log record is made safe when it is created: personnummer, e-mail addresses and
# phone numbers masked, request paths replaced by their routes (coordination/log_filters.py).
from coordination.log_filters import install as _install_log_redaction  # noqa: E402

_install_log_redaction()
