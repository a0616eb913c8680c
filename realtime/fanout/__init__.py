"""Fan-out: from a committed write to every socket that follows its topic, in every process.

One `Hub` per server process (per event loop) holds, for each topic that at least one local
socket follows, a `TopicChannel`: the local subscriptions, the last seq handed to them, and
the latest `state` frames. Everything that reaches sockets goes through one dispatcher task,
so a topic's events leave in seq order:

    service (thread) --on commit--> publish_event() --+--> this hub's inbound queue
                                                      +--> Redis PUBLISH cl:<topic>
    other processes: Redis --one SUBSCRIBE per topic--> their hub's inbound queue
    dispatcher: reorder by seq, fill any gap from the database, write the same text to each socket

Redis pub/sub is at-most-once and may reorder across publishers; the database is the truth.
A hub that sees seq N+2 before N+1 waits briefly, then reads the gap from the database; a
periodic sweep compares the heads of served topics with the database; after a Redis
reconnect every served topic is backfilled. Each socket still drops any seq it already has.
"""

from __future__ import annotations

import asyncio
import logging

import redis
from django.conf import settings

from realtime.fanout.channels import (
    PRESENCE_LIST_MAX,
    PROCESS_ID,
    Socket,
    Subscription,
    TopicChannel,
    access_payload,
    event_payload,
    redis_channel,
    state_payload,
    typing_payload,
)
from realtime.fanout.hub import Hub

__all__ = [
    "PRESENCE_LIST_MAX",
    "PROCESS_ID",
    "Hub",
    "Socket",
    "Subscription",
    "TopicChannel",
    "hub",
    "publish_access_changed",
    "publish_event",
    "publish_state_dirty",
    "publish_typing",
]

log = logging.getLogger(__name__)

# --- process-wide access ------------------------------------------------------------------

_hub: Hub | None = None
_sync_redis: redis.Redis | None = None


def hub() -> Hub:
    """The hub of the running event loop (created on first use)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop:
        _hub = Hub(loop)
        _hub.start()
    return _hub


def _local_hub() -> Hub | None:
    if _hub is not None and not _hub.loop.is_closed():
        return _hub
    return None


def _redis_publish(topic: str, payload: str) -> None:
    global _sync_redis
    if not settings.REDIS_URL:
        return
    try:
        if _sync_redis is None:
            _sync_redis = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
        _sync_redis.publish(redis_channel(topic), payload)
    except Exception as exc:
        # The event is committed: other processes find it in the database (sweep, reconnect backfill).
        log.warning("Redis publish failed for %s (%s)", topic, exc.__class__.__name__)


def publish_event(topic: str, seq: int, frame: str) -> None:
    """Called on commit (any thread): hand the event to this process's hub and to Redis."""
    local = _local_hub()
    if local is not None:
        local.loop.call_soon_threadsafe(local.submit, ("E", topic, seq, frame))
    _redis_publish(topic, event_payload(seq, frame))


def publish_access_changed(topic: str) -> None:
    """Called on commit (any thread): who may read `topic` changed; every hub re-checks its sockets."""
    local = _local_hub()
    if local is not None:
        local.loop.call_soon_threadsafe(local.submit, ("A", topic))
    _redis_publish(topic, access_payload())


def publish_state_dirty(topic: str) -> None:
    """Called on commit: the topic's snapshot changed; compute and publish it (coalesced)."""
    local = _local_hub()
    if local is not None:
        local.loop.call_soon_threadsafe(local.submit, ("dirty", topic))
        return
    # No event loop here (scheduler, management command): compute now and publish through Redis.
    from realtime.state import topic_state_compute

    computed = topic_state_compute(topic)
    if computed is not None:
        kind, version, text = computed
        _redis_publish(topic, state_payload(kind, version, text))


def publish_typing(topic: str, origin: str, frame: str) -> None:
    """Called from the socket's own loop: typing frames are ephemeral, best effort."""
    local = _local_hub()
    if local is None:
        return
    local.submit(("T", topic, origin, frame))
    if local.redis is not None:
        local.loop.create_task(_async_publish(local, topic, typing_payload(origin, frame)))


async def _async_publish(local: Hub, topic: str, payload: str) -> None:
    try:
        await local.redis.publish(redis_channel(topic), payload)
    except Exception:
        pass
