"""One settings module, driven by environment variables (see README, "Configuration")."""

import ipaddress
import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def secret_key() -> str:
    """DJANGO_SECRET_KEY, else the contents of DJANGO_SECRET_KEY_FILE (`make run` writes one with
    a random key). Without either, only DEBUG may run, on a key everyone knows: a public key
    would let anyone forge sessions and password-reset links."""
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    path = os.environ.get("DJANGO_SECRET_KEY_FILE", "").strip()
    if not key and path:
        try:
            key = Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"DJANGO_SECRET_KEY_FILE {path!r} cannot be read: {exc}") from exc
    if key:
        return key
    if DEBUG:
        return "dev-only-insecure-key-debug-mode"
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set unless DJANGO_DEBUG=1; "
        "`make run` generates one in .dev-secret-key"
    )


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = secret_key()
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
# Browser origins other than the site itself that may use the session (HTTP and WebSocket),
# e.g. "https://live.example.org"; scheme, host and port are compared.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- Behind a TLS-terminating proxy (README, "Behind TLS") -----------------------------------
# DJANGO_SECURE_PROXY_SSL_HEADER=1 trusts the proxy's `X-Forwarded-Proto: https` (only set it
# when the proxy overwrites that header). DJANGO_HTTPS=1 marks the cookies Secure and redirects
# plain HTTP; DJANGO_HSTS_SECONDS turns on Strict-Transport-Security.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False) else None
)
HTTPS = env_bool("DJANGO_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", HTTPS)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

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
    "organisations",
    "opendata",
    "people",
    "search",
    "debates",
    "outcomes",
    "moderation",
    "demo",
]

MIDDLEWARE = [
    "config.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.input_guard.InputGuardMiddleware",
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
        # Deleted and edited text is overwritten in the file, not left in free pages.
        "init_command": "PRAGMA secure_delete = ON;",
    }
    # A file, not shared-cache memory: tests run real concurrent writers (threads, processes).
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_PATH") or str(BASE_DIR / ".pytest-db.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No statement holds a database thread (and its sockets) for long; a row lock held
    # elsewhere fails the waiting write, answered `rate_limited`, instead of freezing it.
    # 0 turns either off (e.g. for a long `migrate`).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={int(env_float('DATABASE_STATEMENT_TIMEOUT', 15.0) * 1000)}"
        f" -c lock_timeout={int(env_float('DATABASE_LOCK_TIMEOUT', 3.0) * 1000)}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Accounts and sessions (docs/SECURITY.md) ---------------------------------------------------
# A token expires after TOKEN_IDLE_DAYS without use (each use slides it) or TOKEN_MAX_AGE_DAYS.
TOKEN_IDLE_DAYS = env_float("TOKEN_IDLE_DAYS", 30)
TOKEN_MAX_AGE_DAYS = env_float("TOKEN_MAX_AGE_DAYS", 365)
TOKEN_TOUCH_SECONDS = 60
SESSION_COOKIE_AGE = int(env_float("SESSION_DAYS", 14) * 86400)
# Database sessions whose rows name their user, so that each can be listed and ended (#/account).
SESSION_ENGINE = "accounts.sessions"
# A home commune changes at most once in this many days (residents' votes depend on it).
HOME_COMMUNE_CHANGE_DAYS = env_float("HOME_COMMUNE_CHANGE_DAYS", 30)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Indian/Reunion"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# JSON lines in production (one object per event, for a log collector); readable lines in development.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "readable" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "readable": {"()": "config.logs.ReadableFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Our request log replaces Django's own line per request.
        "django.request": {"level": "ERROR"},
    },
}

# --- Realtime ---------------------------------------------------------------------------
# Unset: single process, in-process fan-out. Set: fan-out between processes through Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Redis through Sentinel: "host:port,host:port,…" and the master's name; REDIS_URL then gives only
# the database number and credentials (realtime/redis_clients.py).
REDIS_SENTINELS = [s.strip() for s in os.environ.get("REDIS_SENTINELS", "").split(",") if s.strip()]
REDIS_SENTINEL_MASTER = os.environ.get("REDIS_SENTINEL_MASTER", "mymaster")
# The registries below name code in the domain apps as "package.module:attribute"; a system
# check (realtime.registry) loads every entry at start-up.
# Topic kinds the socket understands: prefix -> a realtime.topics.TopicKind subclass.
REALTIME_TOPIC_KINDS = {
    "room": "discussions.topics:RoomTopic",
    "event": "events.topics:EventTopic",
    "proposal": "proposals.topics:ProposalTopic",
    "user": "notifications.topics:UserTopic",
    "commune": "communes.topics:CommuneTopic",
    "debate": "debates.topics:DebateTopic",
    "moderation": "debates.topics:ModerationTopic",
    "floor": "debates.topics:FloorTopic",
    "organisation": "organisations.topics:OrganisationTopic",
    "orgadmin": "organisations.topics:OrganisationAdminTopic",
    "communemod": "moderation.topics:CommuneModerationTopic",
}
# Socket writes: maps {type: (realtime.schemas.WriteCommand model, handler)}.
REALTIME_COMMANDS = [
    "discussions.commands:COMMANDS",
    "events.commands:COMMANDS",
    "proposals.commands:COMMANDS",
    "notifications.commands:COMMANDS",
    "debates.commands:COMMANDS",
    "outcomes.commands:COMMANDS",
    "moderation.commands:COMMANDS",
]
# What an event on another topic is about (`proposal:<id>`), stored indexed in TopicEvent.about
# at append time so a hidden or removed proposal's text is taken back by a lookup, not a scan.
REALTIME_EVENT_ABOUT = ["proposals.topics:event_about"]
# Outbound event kinds: maps {kind: pydantic model of the event's `data`} (docs/PROTOCOL.md lists them).
REALTIME_EVENT_SCHEMAS = [
    "discussions.event_schemas:EVENT_SCHEMAS",
    "events.event_schemas:EVENT_SCHEMAS",
    "proposals.event_schemas:EVENT_SCHEMAS",
    "notifications.event_schemas:EVENT_SCHEMAS",
    "debates.event_schemas:EVENT_SCHEMAS",
    "organisations.event_schemas:EVENT_SCHEMAS",
    "outcomes.event_schemas:EVENT_SCHEMAS",
    "moderation.event_schemas:EVENT_SCHEMAS",
]
REALTIME_MAX_FRAME_BYTES = 64 * 1024
# Bytes of outbound frames one socket may have waiting while its client does not read; past
# it the socket is closed with 4008 (realtime/daphne_protocol.py). The transport's own
# buffer (64 KiB) comes on top.
REALTIME_SEND_BUFFER_BYTES = int(os.environ.get("REALTIME_SEND_BUFFER_BYTES", str(1024 * 1024)))
# The kernel's send buffer of each WebSocket, in bytes (SO_SNDBUF; Linux doubles it for its own
# bookkeeping). 0 (default): left to autotuning, it grows to 4 MiB per socket (tcp_wmem), so a
# client that does not read holds up to ~3 MB of kernel memory before the bound above is even
# reached; fixed (e.g. 131072), a stalled client is found after the same amount everywhere.
REALTIME_SOCKET_SEND_BUFFER = int(os.environ.get("REALTIME_SOCKET_SEND_BUFFER", "0"))
# Seconds a socket closed with 4008 has to read its close frame before the connection is cut.
REALTIME_SLOW_CLIENT_GRACE = env_float("REALTIME_SLOW_CLIENT_GRACE", 10.0)
REALTIME_REPLAY_LIMIT = int(os.environ.get("REALTIME_REPLAY_LIMIT", "1000"))
# Replay on `subscribe` is read and sent this many events at a time, each page once the client took the last.
REALTIME_REPLAY_PAGE = int(os.environ.get("REALTIME_REPLAY_PAGE", "200"))
# Seconds before the same topic may be replayed again on the same socket (`rate_limited` meanwhile).
REALTIME_REPLAY_COOLDOWN = env_float("REALTIME_REPLAY_COOLDOWN", 5.0)
# Group commit (realtime.batching): socket writes to one topic arriving within the window
# share one transaction; a write that meets a lock or statement timeout goes again in the next
# batch (rate_limited only after BUSY_ATTEMPTS). REALTIME_GROUP_COMMIT=0 commits each write alone.
REALTIME_GROUP_COMMIT = os.environ.get("REALTIME_GROUP_COMMIT", "1") == "1"
REALTIME_GROUP_COMMIT_WINDOW_MS = env_float("REALTIME_GROUP_COMMIT_WINDOW_MS", 2.0)
REALTIME_GROUP_COMMIT_MAX_BATCH = int(os.environ.get("REALTIME_GROUP_COMMIT_MAX_BATCH", "200"))
# A batch takes no further write once it has run this long (the rest go in the next batch), so a
# topic with a backlog never holds the database thread and the write lock for long; 0: no bound.
REALTIME_GROUP_COMMIT_BUDGET_MS = env_float("REALTIME_GROUP_COMMIT_BUDGET_MS", 50.0)
# A topic that took REALTIME_GROUP_COMMIT_HOT_RATE writes within a second in one process (a debate's
# upvotes, a vote storm) waits this long, not the window, to batch them: a few transactions a second
# instead of one per write, and less wait for the quiet topics' writes (the chat). 0: always the window.
REALTIME_GROUP_COMMIT_HOT_WINDOW_MS = env_float("REALTIME_GROUP_COMMIT_HOT_WINDOW_MS", 50.0)
REALTIME_GROUP_COMMIT_HOT_RATE = env_float("REALTIME_GROUP_COMMIT_HOT_RATE", 20.0)
# A topic with fewer writes than this within a second in one process (a room's chat) has nothing to
# wait for: its write goes at the next turn of the loop, with those that arrived in this one; under
# load the window's timer fired late (bench.debate: 2.8 ms median, 8.4 ms p90 for a 2 ms window).
# A burst on a quiet topic still batches: what arrives while its first write commits goes next, together.
REALTIME_GROUP_COMMIT_COLD_RATE = env_float("REALTIME_GROUP_COMMIT_COLD_RATE", 5.0)
# On SQLite, batches take the write lock in turn through an flock beside the database file
# (realtime.db.sqlite_writer_turn): woken at the other process's commit, not by busy-handler polling.
REALTIME_SQLITE_WRITER_TURN = env_bool("REALTIME_SQLITE_WRITER_TURN", True)
# Minimum seconds between two state frames of one topic to one socket (coalescing window).
REALTIME_STATE_INTERVAL = env_float("REALTIME_STATE_INTERVAL", 0.25)
# How often each process compares the heads of the topics it serves with the database,
# catching any event Redis dropped (pub/sub is at-most-once) or a scheduler committed.
REALTIME_SWEEP_INTERVAL = env_float("REALTIME_SWEEP_INTERVAL", 2.0)
# Per-user write rate limit: a token bucket of RATE_LIMIT_BURST writes refilled at RATE_LIMIT_PER_SECOND.
RATE_LIMIT_PER_SECOND = env_float("RATE_LIMIT_PER_SECOND", 2.0)
RATE_LIMIT_BURST = env_float("RATE_LIMIT_BURST", 10.0)
TYPING_INTERVAL = env_float("TYPING_INTERVAL", 2.0)
# Receipts of idempotent writes; the protocol promises 24 h, so a shorter setting is raised to it.
IDEMPOTENCY_TTL_SECONDS = max(24 * 3600, int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))))
# Replay events older than this many days are deleted, except each topic's newest
# max(1000, REALTIME_REPLAY_LIMIT) (realtime/retention.py); 0 keeps everything.
REALTIME_EVENT_RETENTION_DAYS = env_float("REALTIME_EVENT_RETENTION_DAYS", 30)
REALTIME_RETENTION_INTERVAL = env_float("REALTIME_RETENTION_INTERVAL", 3600)
# Open sockets per client address and per user, in each process; over it: close 4029. Behind a
# proxy, run daphne with --proxy-headers so that the address is the client's, not the proxy's.
SOCKETS_PER_IP = int(os.environ.get("SOCKETS_PER_IP", "200"))
SOCKETS_PER_USER = int(os.environ.get("SOCKETS_PER_USER", "30"))
# Sign-in: per account, LOGIN_FREE_FAILURES wrong passwords, then a wait doubling from 1 s up to
# LOGIN_BACKOFF_MAX; per address, a bucket of LOGIN_BURST attempts refilled at LOGIN_PER_SECOND.
LOGIN_FREE_FAILURES = int(os.environ.get("LOGIN_FREE_FAILURES", "5"))
LOGIN_BACKOFF_MAX = env_float("LOGIN_BACKOFF_MAX", 900)
LOGIN_BURST = env_float("LOGIN_BURST", 30)
LOGIN_PER_SECOND = env_float("LOGIN_PER_SECOND", 0.2)
# Registration per address: a bucket of REGISTER_BURST refilled at REGISTER_PER_SECOND (1 per 10 min).
REGISTER_BURST = env_float("REGISTER_BURST", 5)
REGISTER_PER_SECOND = env_float("REGISTER_PER_SECOND", 1 / 600)
# How often each process looks for revoked tokens and ended sessions, and closes their sockets (4003).
REALTIME_REVOCATION_INTERVAL = env_float("REALTIME_REVOCATION_INTERVAL", 1.0)
# Reads the notices: (moment) -> [(id, credential)] written since then; see accounts.selectors.
REALTIME_REVOCATION_SOURCE = "accounts.selectors.credential_revocations_since"
# Run the periodic jobs (closing proposals on time, purging receipts) inside the web process.
SCHEDULER_IN_PROCESS = env_bool("SCHEDULER_IN_PROCESS", not REDIS_URL)
SCHEDULER_JOBS = [
    "realtime.idempotency:receipts_purge",
    "accounts.services:revocations_purge",
    "proposals.scheduler:proposals_advance",
    "events.services.notices:events_starting_notify",
    "proposals.notices:proposals_closing_notify",
    "notifications.services:deliveries_run",
    "notifications.mail:emails_send",
    "realtime.retention:retention_apply",
    "debates.scheduler:turns_end",
]
# Jobs that need not run every tick: path -> at most once per this many seconds. A tick runs every
# job's queries whether or not there is work; these would otherwise cost a busy process about a
# seventh of its CPU (issue 17's write-storm profile): reminders an hour or a day ahead, e-mails,
# and purges have no need of a quarter-second.
SCHEDULER_JOB_INTERVALS = {
    "realtime.idempotency:receipts_purge": 60.0,
    "accounts.services:revocations_purge": 60.0,
    "events.services.notices:events_starting_notify": 5.0,
    "proposals.notices:proposals_closing_notify": 5.0,
    "notifications.mail:emails_send": 1.0,
    "realtime.retention:retention_apply": REALTIME_RETENTION_INTERVAL,
}
SCHEDULER_INTERVAL = env_float("SCHEDULER_INTERVAL", 0.25)
# A per-tick job that found nothing to do runs again after this many seconds, or at the due time of
# the next row it knows of if sooner (realtime/scheduler.py): rows another process adds are found
# within it, and an idle scheduler no longer queries every tick.
SCHEDULER_IDLE_INTERVAL = env_float("SCHEDULER_IDLE_INTERVAL", 1.0)
# Called as `function(user=…)` inside the transaction that erases an account (accounts.services.user_erase).
ACCOUNT_ERASERS = [
    "discussions.services:user_rooms_erase",
    "notifications.services:user_notifications_erase",
    "organisations.services:user_organisations_erase",
    "accounts.profiles:user_profile_erase",
    "outcomes.services:user_outcomes_erase",
    "moderation.services:user_moderation_erase",
    "communes.services:user_communes_erase",
]
# `manage.py load_demo` calls each of these (idempotent) to fill an empty database with demo data.
DEMO_LOADERS = [
    "communes.demo:demo_load",
    "discussions.demo:demo_load",
    "events.demo:demo_load",
    "proposals.demo:demo_load",
    "discussions.demo_private:demo_load",
    "debates.demo:demo_load",
    "organisations.demo:demo_load",
    "people.demo:demo_load",
    "outcomes.demo:demo_load",
    "moderation.demo:demo_load",
    "demo.trust:demo_load",
    "moderation.demo:demo_commune_load",
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
# The garbage collector of a server process (realtime/collector.py): freeze what start-up built,
# and collect the youngest generation every GC_GEN0_THRESHOLD allocations (0: Python's 700).
GC_FREEZE = env_bool("GC_FREEZE", True)
GC_GEN0_THRESHOLD = int(os.environ.get("GC_GEN0_THRESHOLD", "10000"))

# Threads running database work for the sockets of one process (PostgreSQL; SQLite uses one).
DB_THREADS = int(os.environ.get("DB_THREADS", "8"))

# --- Map -------------------------------------------------------------------------------------
# Tiles of the commune map: OpenStreetMap's standard tiles unless pointed at a self-hosted tile
# server; empty: no tiles (markers only, as in tests, which run without network). The CSP's
# img-src allows exactly this URL's origin (config.security). The attribution is shown on the
# map as HTML, as the tile provider's terms require; it comes from the operator, never users.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
# Markers are grouped into clusters once a map shows more than this many.
MAP_CLUSTER_FROM = 50
# --- Open data (opendata/): the licence every download states -----------------------------------
OPEN_DATA_LICENCE_NAME = os.environ.get("OPEN_DATA_LICENCE_NAME", "Licence Ouverte / Open Licence 2.0 (Etalab)")
OPEN_DATA_LICENCE_URL = os.environ.get(
    "OPEN_DATA_LICENCE_URL", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
)
OPEN_DATA_ATTRIBUTION = os.environ.get("OPEN_DATA_ATTRIBUTION", "Communecter Live contributors")
# --- Uploaded pictures (accounts/images.py) ------------------------------------------------------
# Bytes of one upload (refused by its Content-Length before it is read) and pixels of one picture
# (width × height, read from the header before decoding: decompression bombs stop there).
IMAGE_UPLOAD_MAX_BYTES = int(os.environ.get("IMAGE_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", str(40_000_000)))
# --- Operations (docs/DEPLOY.md) -----------------------------------------------------------
# Probes and the scraper talk plain HTTP to each worker directly: never redirected to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# On SIGTERM (python -m config.server), open sockets are closed with 4012 over at most this long.
DRAIN_SPREAD_SECONDS = env_float("DRAIN_SPREAD_SECONDS", 5.0)
# /metrics (config/metrics.py): a bearer token for the scraper, and/or networks that may connect directly.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(n.strip())
    for n in os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",")
    if n.strip()
]
# Writes of one topic use at most this many of them at once (a lock on one topic queues only it).
DB_THREADS_PER_TOPIC = int(os.environ.get("DB_THREADS_PER_TOPIC", str(max(1, DB_THREADS // 4))))
# Seconds a socket command waits for a database thread before it is answered `rate_limited`.
DB_WAIT_SECONDS = env_float("DB_WAIT_SECONDS", 5.0)
# Seconds a write waits for its topic's turn (DB_THREADS_PER_TOPIC) before `rate_limited`.
DB_TOPIC_WAIT_SECONDS = env_float("DB_TOPIC_WAIT_SECONDS", 30.0)
