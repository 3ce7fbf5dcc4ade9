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
    "audit",
    "coordination",
    "consent",
    "realtime",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
                "hosts": [REDIS_URL],
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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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
    "REALTIME_MAX_FRAME_BYTES": 16384,
    "REALTIME_MAX_MESSAGE_CHARS": 4000,
    "REALTIME_FRAME_BURST": 60,
    "REALTIME_FRAMES_PER_SECOND": 30,
    "REALTIME_SEND_BURST": 10,
    "REALTIME_SENDS_PER_SECOND": 5,
}

# Links in e-mail (calls to meetings) point here; the site's own address in production.
SAMVERKA_BASE_URL = os.environ.get("SAMVERKA_BASE_URL", "http://localhost:8000")
