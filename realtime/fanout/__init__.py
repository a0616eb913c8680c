"""Fan-out: from a committed write to every socket that follows its topic, in every process.

One `Hub` per server process (per event loop) holds, for each topic that at least one local
socket follows, a `ServedTopic`: the local subscriptions, the last seq handed to them, and
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

This module is the process-wide face: the hub of the running loop and the publish functions
that writers call on commit (from any thread).
"""

from __future__ import annotations

import asyncio
import logging

import redis
from django.conf import settings

from realtime.fanout.hub import Hub
from realtime.fanout.items import AccessChanged, EventArrived, StateDirty, TypingArrived
from realtime.fanout.presence import PRESENCE_LIST_MAX
from realtime.fanout.topic_table import ServedTopic, Socket, Subscription
from realtime.fanout.wire import (
    PROCESS_ID,
    access_payload,
    event_payload,
    redis_channel,
    state_payload,
    typing_payload,
)
from realtime.redis_clients import redis_sync
from realtime.state_snapshot import topic_state_compute

__all__ = [
    "PRESENCE_LIST_MAX",
    "PROCESS_ID",
    "Hub",
    "ServedTopic",
    "Socket",
    "Subscription",
    "process_hub",
    "process_hub_stop",
    "publish_access_changed",
    "publish_event",
    "publish_state_dirty",
    "publish_typing",
]

log = logging.getLogger(__name__)

_hub: Hub | None = None
_sync_redis: redis.Redis | None = None


def process_hub() -> Hub:
    """The hub of the running event loop (created on first use)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop:
        _hub = Hub(loop)
        _hub.start()
    return _hub


def process_hub_running() -> Hub | None:
    """The current hub, if one runs, without creating one (tests inspect it after sockets leave)."""
    return _local_hub()


async def process_hub_stop() -> None:
    """Stop the current hub, if any; the next `process_hub()` starts a fresh one."""
    global _hub
    if _hub is not None:
        hub, _hub = _hub, None
        await hub.stop()


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
            _sync_redis = redis_sync(socket_connect_timeout=1, socket_timeout=2)
        _sync_redis.publish(redis_channel(topic), payload)
    except Exception as exc:
        # The event is committed: other processes find it in the database (sweep, reconnect backfill).
        log.warning("Redis publish failed for %s (%s)", topic, exc.__class__.__name__)


def publish_event(topic: str, seq: int, frame: str) -> None:
    """Called on commit (any thread): hand the event to this process's hub and to Redis."""
    # Redis first: the local hub, once woken, fans out holding the GIL, and this thread would wait
    # for it (up to the 5 ms switch interval, each time it takes the GIL back) before the other
    # processes even heard of the event.
    _redis_publish(topic, event_payload(seq, frame))
    local = _local_hub()
    if local is not None:
        local.loop.call_soon_threadsafe(local.submit, EventArrived(topic, seq, frame))


def publish_access_changed(topic: str) -> None:
    """Called on commit (any thread): who may read `topic` changed; every hub re-checks its sockets."""
    local = _local_hub()
    if local is not None:
        local.loop.call_soon_threadsafe(local.submit, AccessChanged(topic))
    _redis_publish(topic, access_payload())


def publish_state_dirty(topic: str) -> None:
    """Called on commit: the topic's snapshot changed; compute and publish it (coalesced)."""
    local = _local_hub()
    if local is not None:
        local.loop.call_soon_threadsafe(local.submit, StateDirty(topic))
        return
    # No event loop here (scheduler, management command): compute now and publish through Redis.
    computed = topic_state_compute(topic)
    if computed is not None:
        kind, version, text = computed
        _redis_publish(topic, state_payload(kind, version, text))


def publish_typing(topic: str, origin: str, frame: str) -> None:
    """Called from the socket's own loop: typing frames are ephemeral, best effort."""
    local = _local_hub()
    if local is None:
        return
    local.submit(TypingArrived(topic, origin, frame))
    if local.link.client is not None:
        local.loop.create_task(local.link.publish(topic, typing_payload(origin, frame)))
