"""The process's one Redis pub/sub connection: one SUBSCRIBE per served topic, reconnection with
backoff, and a callback once resubscribed so the hub can backfill from the database."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from realtime import metrics
from realtime.fanout.items import Inbound
from realtime.fanout.wire import (
    PROCESS_ID,
    channel_topic,
    control_channel,
    payload_decode,
    redis_channel,
    state_claim_key,
)
from realtime.redis_clients import redis_async

log = logging.getLogger(__name__)


class RedisLink:
    """Owns the connection. `deliver` gets each decoded item; `on_reconnected` runs after every
    (re)connection once Redis confirmed the subscriptions (or after a timeout)."""

    def __init__(
        self,
        *,
        url: str,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[Inbound], None],
        served_topics: Callable[[], list[str]],
        on_reconnected: Callable[[], Awaitable[None]],
    ) -> None:
        self.url = url
        self.loop = loop
        self._deliver = deliver
        self._served_topics = served_topics
        self._on_reconnected = on_reconnected
        # None while disconnected (or when there is no Redis): callers then skip Redis.
        self.client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self.ready = asyncio.Event()
        self._subscribe_waiters: dict[str, list[asyncio.Future]] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    async def run(self) -> None:
        """Hold one pub/sub connection for the process; on loss, reconnect."""
        backoff = 0.1
        while True:
            try:
                await self._connect()
                backoff = 0.1
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                metrics.REDIS_RECONNECTS.inc()
                log.warning("Redis connection lost (%s); reconnecting", exc.__class__.__name__)
            self.ready.clear()
            for waiters in self._subscribe_waiters.values():
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(False)
            self._subscribe_waiters.clear()
            await self.close()
            await asyncio.sleep(backoff * (1 + random.random()))
            backoff = min(backoff * 2, 2.0)

    async def _connect(self) -> None:
        # Through Sentinel when configured: every reconnect asks where the master is now.
        self.client = redis_async(socket_connect_timeout=2, health_check_interval=0)
        await self.client.ping()
        self._pubsub = self.client.pubsub()
        names = [control_channel(), *[redis_channel(topic) for topic in self._served_topics()]]
        waiters = [self._subscribe_waiter(name) for name in names]
        # Ready before the first await: a topic opened from now on subscribes itself; every
        # topic opened before is in `names`.
        self.ready.set()
        await self._pubsub.subscribe(*names)
        self.loop.create_task(self._after_connect(waiters))

    def _subscribe_waiter(self, name: str) -> asyncio.Future:
        waiter = self.loop.create_future()
        self._subscribe_waiters.setdefault(name, []).append(waiter)
        return waiter

    async def _after_connect(self, waiters: list[asyncio.Future]) -> None:
        try:
            await asyncio.wait_for(asyncio.gather(*waiters), timeout=5.0)
        except Exception:
            log.warning("Redis resubscription not confirmed; backfilling anyway")
        await self._on_reconnected()

    async def close(self) -> None:
        try:
            if self._pubsub is not None:
                await self._pubsub.aclose()
            if self.client is not None:
                await self.client.aclose()
        except Exception as exc:
            log.info("closing the Redis connection failed (%s)", exc.__class__.__name__)
        self._pubsub = None
        self.client = None

    async def _read(self) -> None:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=False, timeout=5.0)
            if message is None:
                await self.client.ping()
                continue
            if message["type"] == "subscribe":
                for waiter in self._subscribe_waiters.pop(message["channel"].decode(), []):
                    if not waiter.done():
                        waiter.set_result(True)
            elif message["type"] == "message":
                item = payload_decode(channel_topic(message["channel"]), message["data"])
                if item is not None:
                    self._deliver(item)

    async def subscribe(self, topic: str) -> None:
        """Subscribe to `topic`'s channel; returns once Redis confirmed it (or gave up)."""
        if not self.ready.is_set() or self._pubsub is None:
            return  # subscribed on (re)connect; the sweep covers the meantime
        waiter = self._subscribe_waiter(redis_channel(topic))
        try:
            await self._pubsub.subscribe(redis_channel(topic))
            await asyncio.wait_for(waiter, timeout=2.0)
        except Exception:
            log.warning("Redis subscribe to %s not confirmed; relying on the sweep", topic)

    async def unsubscribe(self, topic: str) -> None:
        if self._pubsub is None or not self.ready.is_set():
            return
        try:
            await self._pubsub.unsubscribe(redis_channel(topic))
        except Exception as exc:
            # Harmless: a stray payload for an unserved topic is dropped by the hub.
            log.info("Redis unsubscribe from %s failed (%s)", topic, exc.__class__.__name__)

    async def followed_elsewhere(self, topic: str) -> bool:
        """Whether any process's link is subscribed to `topic`'s channel (PUBSUB NUMSUB). True when
        Redis cannot say: the caller then does the work rather than risk a stale subscriber."""
        if self.client is None:
            return True
        try:
            [(_, count)] = await self.client.pubsub_numsub(redis_channel(topic))
        except Exception as exc:
            log.info("PUBSUB NUMSUB for %s failed (%s)", topic, exc.__class__.__name__)
            return True
        return int(count) > 0

    async def compute_claim(self, topic: str, seconds: float) -> float:
        """Whether this process computes `topic`'s snapshot now: 0.0 when it took the topic's
        claim for `seconds` (or Redis cannot say: it then computes, as every process did before),
        else the seconds left on the claim held (by another process, or still by this one from
        its compute of the interval before)."""
        if self.client is None:
            return 0.0
        key = state_claim_key(topic)
        try:
            if await self.client.set(key, PROCESS_ID, nx=True, px=max(1, round(seconds * 1000))):
                return 0.0
            left_ms = await self.client.pttl(key)
        except Exception as exc:
            log.info("the snapshot claim of %s failed (%s)", topic, exc.__class__.__name__)
            return 0.0
        return left_ms / 1000 if left_ms > 0 else 0.0  # gone meanwhile (-2), or no expiry (-1)

    async def publish(self, topic: str, payload: str) -> None:
        """Best effort: the database stays the truth (receivers sweep and backfill)."""
        if self.client is None:
            return
        try:
            await self.client.publish(redis_channel(topic), payload)
        except Exception as exc:
            log.warning("Redis publish failed for %s (%s)", topic, exc.__class__.__name__)
