"""Redis connections for the whole process: straight to REDIS_URL, or through Sentinel.

With REDIS_SENTINELS (`host:port,host:port,…`) and REDIS_SENTINEL_MASTER, every new connection
asks the sentinels where the master is, so after a failover the next reconnect reaches the new
master; REDIS_URL then only gives the database number and the credentials (its host is unused).
"""

from __future__ import annotations

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.connection import parse_url
from redis.sentinel import Sentinel

SENTINEL_TIMEOUT = 1.0


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


def sentinel_addresses() -> list[tuple[str, int]]:
    addresses = []
    for item in settings.REDIS_SENTINELS:
        host, _, port = item.rpartition(":")
        addresses.append((host.strip("[]") or "127.0.0.1", int(port or 26379)))
    return addresses


def _connection_options(**options) -> dict:
    """Database and credentials from REDIS_URL, plus the caller's timeouts."""
    parsed = parse_url(settings.REDIS_URL)
    kept = {key: parsed[key] for key in ("db", "username", "password") if key in parsed}
    return {**kept, **options}


def redis_sync(**options) -> redis.Redis:
    if settings.REDIS_SENTINELS:
        sentinel = Sentinel(sentinel_addresses(), sentinel_kwargs={"socket_timeout": SENTINEL_TIMEOUT})
        return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, **_connection_options(**options))
    return redis.Redis.from_url(settings.REDIS_URL, **options)


def redis_async(**options) -> aioredis.Redis:
    if settings.REDIS_SENTINELS:
        sentinel = AsyncSentinel(sentinel_addresses(), sentinel_kwargs={"socket_timeout": SENTINEL_TIMEOUT})
        return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, **_connection_options(**options))
    return aioredis.Redis.from_url(settings.REDIS_URL, **options)
