"""Settings of the peers: the Django Channels tutorial project, trimmed to what the chat needs.

Environment:
- BENCH_PEER_LAYER: ``core`` (RedisChannelLayer) or ``pubsub`` (RedisPubSubChannelLayer).
- BENCH_PEER_REDIS: Redis URL (the bench gives each peer its own DB number).
- BENCH_PEER_PREFIX: channel-name prefix, so runs never see each other's messages
  (Redis pub/sub ignores DB numbers, a prefix does not).
"""

import os

SECRET_KEY = "bench-peer-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    "bench.peers",
]

ASGI_APPLICATION = "bench.peers.asgi.application"
# The tutorial's AuthMiddlewareStack needs a database configured; an anonymous socket
# never queries it (no session cookie), so an in-memory SQLite is enough. The persisting
# peer (BENCH_PEER_PERSIST) stores its messages in BENCH_PEER_DATABASE_URL (PostgreSQL) or
# BENCH_PEER_SQLITE (a file), the same kind of database the project gets in the run.
if os.environ.get("BENCH_PEER_DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["BENCH_PEER_DATABASE_URL"])}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BENCH_PEER_SQLITE", ":memory:")}
    }
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_LAYER = os.environ.get("BENCH_PEER_LAYER", "pubsub")
_REDIS = os.environ.get("BENCH_PEER_REDIS", "redis://127.0.0.1:6379/14")
_PREFIX = os.environ.get("BENCH_PEER_PREFIX", "benchpeer")

if _LAYER == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_REDIS], "prefix": _PREFIX},
        }
    }
elif _LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_REDIS], "prefix": _PREFIX},
        }
    }
else:  # pragma: no cover - configuration error
    raise RuntimeError(f"BENCH_PEER_LAYER must be 'core' or 'pubsub', not {_LAYER!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
