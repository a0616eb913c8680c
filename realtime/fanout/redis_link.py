"""Hub responsibility: the process's one Redis pub/sub connection — one SUBSCRIBE per served topic,
reconnection with backoff, and the backfill from the database that makes a reconnect lossless."""

from __future__ import annotations

import asyncio
import logging
import random
import time

import redis.asyncio as aioredis

from realtime.fanout.channels import (
    PRESENCE_HEARTBEAT_SECONDS,
    PRESENCE_STALE_SECONDS,
    PROCESS_ID,
    presence_payload,
    redis_channel,
    redis_prefix,
)
from realtime.frames import loads

log = logging.getLogger(__name__)


class RedisLink:
    async def _redis_loop(self) -> None:
        """Hold one pub/sub connection for the process; on loss, reconnect and backfill from the database."""
        backoff = 0.1
        while True:
            try:
                await self._redis_connect()
                backoff = 0.1
                await self._redis_read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Redis connection lost (%s); reconnecting", exc.__class__.__name__)
            self.redis_ready.clear()
            for waiters in self._subscribe_waiters.values():
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(False)
            self._subscribe_waiters.clear()
            await self._redis_close()
            await asyncio.sleep(backoff * (1 + random.random()))
            backoff = min(backoff * 2, 2.0)

    async def _redis_connect(self) -> None:
        self.redis = aioredis.Redis.from_url(self.redis_url, socket_connect_timeout=2, health_check_interval=0)
        await self.redis.ping()
        self.pubsub = self.redis.pubsub()
        # A private control channel keeps the connection subscribed even with no topic.
        names = [f"{redis_prefix()}:hub:{PROCESS_ID}", *[redis_channel(t) for t in self.channels]]
        waiters = []
        for name in names:
            waiter = self.loop.create_future()
            self._subscribe_waiters.setdefault(name, []).append(waiter)
            waiters.append(waiter)
        # Ready before the first await: a topic opened from now on subscribes itself; every
        # topic opened before is in `names`.
        self.redis_ready.set()
        await self.pubsub.subscribe(*names)
        self.loop.create_task(self._after_connect(waiters))

    async def _after_connect(self, waiters: list[asyncio.Future]) -> None:
        """Once Redis delivers every served topic again, backfill what was published meanwhile."""
        try:
            await asyncio.wait_for(asyncio.gather(*waiters), timeout=5.0)
        except Exception:
            log.warning("Redis resubscription not confirmed; backfilling anyway")
        try:
            await self.sweep()
        except Exception:
            log.exception("backfill after Redis reconnect")
        for topic, channel in list(self.channels.items()):
            self.submit(("dirty", topic))
            if channel.presence:
                await self._presence_announce(topic, list(channel.presence))

    async def _redis_close(self) -> None:
        try:
            if self.pubsub is not None:
                await self.pubsub.aclose()
            if self.redis is not None:
                await self.redis.aclose()
        except Exception:
            pass
        self.pubsub = None
        self.redis = None

    async def _redis_read(self) -> None:
        prefix_len = len(redis_prefix()) + 1
        while True:
            message = await self.pubsub.get_message(ignore_subscribe_messages=False, timeout=5.0)
            if message is None:
                await self.redis.ping()
                continue
            kind = message["type"]
            channel_name = message["channel"].decode()
            if kind == "subscribe":
                for waiter in self._subscribe_waiters.pop(channel_name, []):
                    if not waiter.done():
                        waiter.set_result(True)
                continue
            if kind != "message":
                continue
            topic = channel_name[prefix_len:]
            payload: bytes = message["data"]
            tag = payload[:1]
            if tag == b"E":
                seq, _, text = payload[1:].partition(b"|")
                self.submit(("E", topic, int(seq), text.decode()))
            elif tag == b"S":
                state_kind, _, rest = payload[1:].partition(b"|")
                version, _, text = rest.partition(b"|")
                self.submit(("S", topic, state_kind.decode(), int(version), text.decode()))
            elif tag == b"T":
                origin, _, text = payload[1:].partition(b"|")
                self.submit(("T", topic, origin.decode(), text.decode()))
            elif tag == b"P":
                self.submit(("P", topic, int(payload[1:])))
            elif tag == b"A":
                self.submit(("A", topic))

    async def _redis_subscribe(self, topic: str) -> None:
        if not self.redis_ready.is_set() or self.pubsub is None:
            return  # subscribed on (re)connect; the sweep covers the meantime
        name = redis_channel(topic)
        waiter = self.loop.create_future()
        self._subscribe_waiters.setdefault(name, []).append(waiter)
        try:
            await self.pubsub.subscribe(name)
            await asyncio.wait_for(waiter, timeout=2.0)
        except Exception:
            log.warning("Redis subscribe to %s not confirmed; relying on the sweep", topic)

    async def _redis_unsubscribe(self, topic: str) -> None:
        if topic in self.channels:
            return
        try:
            await self.pubsub.unsubscribe(redis_channel(topic))
        except Exception:
            pass

    async def _presence_heartbeat(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_HEARTBEAT_SECONDS)
            if not self.redis_ready.is_set():
                continue
            # Refresh this process's shares so others keep counting them; drop a dead process's.
            for topic, channel in list(self.channels.items()):
                if channel.presence:
                    await self._presence_announce(topic, list(channel.presence), tell=False)
                try:
                    await self._presence_drop_stale(topic)
                except Exception:
                    log.warning("presence sweep failed for %s", topic)

    async def _presence_drop_stale(self, topic: str) -> None:
        key = f"{redis_prefix()}:presence:{topic}"
        now = time.time()
        shares = await self.redis.hgetall(key)
        stale = [owner for owner, raw in shares.items() if now - loads(raw)["at"] >= PRESENCE_STALE_SECONDS]
        if stale:
            await self.redis.hdel(key, *stale)
            version = await self.redis.incr(f"{key}:version")
            await self.redis.publish(redis_channel(topic), presence_payload(version))
