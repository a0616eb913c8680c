"""One settings module, driven by environment variables (see README, "Configuration")."""

import os
from pathlib import Path

import dj_database_url
import dj_email_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "realtime",
    "accounts",
    "communes",
    "notifications",
    "discussions",
    "events",
    "proposals",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# SQLite by default; PostgreSQL (or anything dj-database-url knows) when DATABASE_URL is set.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{os.environ.get('SQLITE_PATH', BASE_DIR / 'db.sqlite3')}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue on
    # the busy timeout instead of failing with "database is locked" on lock upgrade.
    # Connections persist (CONN_MAX_AGE): opening one costs more than most queries.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not shared-cache memory: tests run real concurrent writers (threads, processes).
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_PATH") or str(BASE_DIR / ".pytest-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Indian/Reunion"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}

# --- Realtime ---------------------------------------------------------------------------
# Unset: single process, in-process fan-out. Set: fan-out between processes through Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
# The registries below name code in the domain apps as "package.module:attribute"; a system
# check (realtime.registry) loads every entry at start-up.
# Topic kinds the socket understands: prefix -> a realtime.topics.TopicKind subclass.
REALTIME_TOPIC_KINDS = {
    "room": "discussions.topics:RoomTopic",
    "event": "events.topics:EventTopic",
    "proposal": "proposals.topics:ProposalTopic",
    "user": "notifications.topics:UserTopic",
}
# Socket writes: maps {type: (realtime.schemas.WriteCommand model, handler)}.
REALTIME_COMMANDS = [
    "discussions.commands:COMMANDS",
    "events.commands:COMMANDS",
    "proposals.commands:COMMANDS",
    "notifications.commands:COMMANDS",
]
# Outbound event kinds: maps {kind: pydantic model of the event's `data`} (docs/PROTOCOL.md lists them).
REALTIME_EVENT_SCHEMAS = [
    "discussions.event_schemas:EVENT_SCHEMAS",
    "events.event_schemas:EVENT_SCHEMAS",
    "proposals.event_schemas:EVENT_SCHEMAS",
    "notifications.event_schemas:EVENT_SCHEMAS",
]
REALTIME_MAX_FRAME_BYTES = 64 * 1024
REALTIME_REPLAY_LIMIT = int(os.environ.get("REALTIME_REPLAY_LIMIT", "1000"))
# Minimum seconds between two state frames of one topic to one socket (coalescing window).
REALTIME_STATE_INTERVAL = env_float("REALTIME_STATE_INTERVAL", 0.25)
# How often each process compares the heads of the topics it serves with the database,
# catching any event Redis dropped (pub/sub is at-most-once) or a scheduler committed.
REALTIME_SWEEP_INTERVAL = env_float("REALTIME_SWEEP_INTERVAL", 2.0)
# Per-user write rate limit: a token bucket of RATE_LIMIT_BURST writes refilled at RATE_LIMIT_PER_SECOND.
RATE_LIMIT_PER_SECOND = env_float("RATE_LIMIT_PER_SECOND", 2.0)
RATE_LIMIT_BURST = env_float("RATE_LIMIT_BURST", 10.0)
TYPING_INTERVAL = env_float("TYPING_INTERVAL", 2.0)
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# Run the periodic jobs (closing proposals on time, purging receipts) inside the web process.
SCHEDULER_IN_PROCESS = env_bool("SCHEDULER_IN_PROCESS", not REDIS_URL)
SCHEDULER_JOBS = [
    "realtime.idempotency:receipts_purge",
    "proposals.scheduler:proposals_advance",
    "events.services.notices:events_starting_notify",
    "proposals.notices:proposals_closing_notify",
    "notifications.services:deliveries_run",
    "notifications.mail:emails_send",
]
SCHEDULER_INTERVAL = env_float("SCHEDULER_INTERVAL", 0.25)
# `manage.py load_demo` calls each of these (idempotent) to fill an empty database with demo data.
DEMO_LOADERS = [
    "communes.demo:demo_load",
    "discussions.demo:demo_load",
    "events.demo:demo_load",
    "proposals.demo:demo_load",
    "discussions.demo_private:demo_load",
]

# Deliver queued notifications in a background thread right after the writer commits (the
# scheduler's `deliveries_run` is the safety net, and the only path when this is off).
NOTIFICATIONS_DELIVER_IN_BACKGROUND = env_bool("NOTIFICATIONS_DELIVER_IN_BACKGROUND", True)

# --- E-mail -------------------------------------------------------------------------------
# EMAIL_URL picks the backend and server: smtp://user:pass@host:587/?tls=True, console:// (the
# development default: mails are printed), dummy://. See README "E-mail".
EMAIL_CONFIG = dj_email_url.parse(os.environ.get("EMAIL_URL") or "console://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG["EMAIL_HOST"] or "localhost"
EMAIL_PORT = EMAIL_CONFIG["EMAIL_PORT"] or 25
EMAIL_HOST_USER = EMAIL_CONFIG["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = EMAIL_CONFIG["EMAIL_USE_TLS"]
EMAIL_USE_SSL = EMAIL_CONFIG["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = EMAIL_CONFIG["EMAIL_TIMEOUT"] or 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Communecter Live <noreply@localhost>")
# The address of the site in links sent by e-mail (unsubscribe, inbox).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Seconds of one digest period per choice (shorter in tests).
DIGEST_PERIODS = {
    "hourly": int(env_float("DIGEST_HOURLY_SECONDS", 3600)),
    "daily": int(env_float("DIGEST_DAILY_SECONDS", 86400)),
}

# daphne serves /static/ itself (no separate web server needed for the embedded default).
SERVE_STATIC = env_bool("SERVE_STATIC", True)
# Threads running database work for the sockets of one process (PostgreSQL; SQLite uses one).
DB_THREADS = int(os.environ.get("DB_THREADS", "8"))
