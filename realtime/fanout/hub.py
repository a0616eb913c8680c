"""The hub of one server process: topics served here, in-order delivery, gap repair, sweep."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings

from realtime.db import db_call
from realtime.fanout.channels import GAP_WAIT_SECONDS, Subscription, TopicChannel
from realtime.fanout.presence import Presence
from realtime.fanout.redis_link import RedisLink
from realtime.fanout.snapshots import Snapshots

log = logging.getLogger(__name__)


class Hub(Snapshots, Presence, RedisLink):
    """Assembled from its responsibilities: ordering here; snapshots, presence and Redis in mixins."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.channels: dict[str, TopicChannel] = {}
        self.inbound: asyncio.Queue = asyncio.Queue()
        self.redis_url: str = settings.REDIS_URL
        self.redis: aioredis.Redis | None = None
        self.pubsub: Any = None
        self.redis_ready = asyncio.Event()
        self._subscribe_waiters: dict[str, list[asyncio.Future]] = {}
        self._state_next_compute: dict[str, float] = {}
        self._state_scheduled: set[str] = set()
        self._presence_version = 0
        self._tasks: list[asyncio.Task] = []

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(self.loop.create_task(self._dispatch_loop(), name="hub-dispatch"))
        self._tasks.append(self.loop.create_task(self._sweep_loop(), name="hub-sweep"))
        if self.redis_url:
            self._tasks.append(self.loop.create_task(self._redis_loop(), name="hub-redis"))
            self._tasks.append(self.loop.create_task(self._presence_heartbeat(), name="hub-presence"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        if self.redis is not None:
            await self.redis.aclose()

    # --- subscriptions -------------------------------------------------------------------

    async def attach(self, sub: Subscription) -> TopicChannel:
        """Register a (buffering) subscription; returns once the topic is live in this process."""
        channel = self.channels.get(sub.topic)
        if channel is None:
            channel = TopicChannel(sub.topic)
            self.channels[sub.topic] = channel
            self.loop.create_task(self._channel_open(channel))
        channel.subscribers.add(sub)
        await channel.ready.wait()
        return channel

    def detach(self, sub: Subscription) -> None:
        channel = self.channels.get(sub.topic)
        if channel is None or sub not in channel.subscribers:
            return
        channel.subscribers.discard(sub)
        if sub.in_presence:
            self._presence_leave(channel, sub.username)
        if not channel.subscribers:
            del self.channels[sub.topic]
            if self.pubsub is not None and self.redis_ready.is_set():
                self.loop.create_task(self._redis_unsubscribe(sub.topic))

    def presence_join(self, sub: Subscription) -> None:
        channel = self.channels.get(sub.topic)
        if channel is not None and sub.username:
            sub.in_presence = True
            channel.presence[sub.username] += 1
            if channel.presence[sub.username] == 1:
                self._presence_changed(channel)

    def _presence_leave(self, channel: TopicChannel, username: str) -> None:
        channel.presence[username] -= 1
        if channel.presence[username] <= 0:
            del channel.presence[username]
            self._presence_changed(channel)

    async def _channel_open(self, channel: TopicChannel) -> None:
        from realtime.sequencing import topic_head

        try:
            if self.redis_url:
                if not self.redis_ready.is_set():
                    # The hub is (re)connecting: give it a moment rather than rely on the sweep.
                    try:
                        await asyncio.wait_for(self.redis_ready.wait(), 1.0)
                    except TimeoutError:
                        pass
                await self._redis_subscribe(channel.topic)
            # Read the head only once Redis delivers the topic: nothing committed later is missed.
            channel.last_seq = await db_call(topic_head, channel.topic)
        except Exception:
            log.exception("opening topic %s", channel.topic)
        for seq in [s for s in channel.pending if s <= channel.last_seq]:
            del channel.pending[seq]
        channel.ready.set()
        if channel.pending:
            self.submit(("drain", channel.topic))

    # --- inbound (called from any thread via publish_* or from the Redis reader) ---------

    def submit(self, item: tuple) -> None:
        self.inbound.put_nowait(item)

    async def _dispatch_loop(self) -> None:
        while True:
            item = await self.inbound.get()
            try:
                await self._dispatch(item)
            except Exception:
                log.exception("dispatching %r", item[:3])

    async def _dispatch(self, item: tuple) -> None:
        what, topic = item[0], item[1]
        if what == "dirty":
            self._state_schedule(topic)
            return
        if what == "presence_flush":
            await self._presence_flush(topic)  # also when the room just emptied here
            return
        channel = self.channels.get(topic)
        if channel is None:
            return
        if what == "E":
            seq, text = item[2], item[3]
            if seq > channel.last_seq and seq not in channel.pending:
                channel.pending[seq] = text
                if channel.ready.is_set():
                    await self._drain(channel)
        elif what == "drain":
            await self._drain(channel)
        elif what == "fill":
            channel.fill_scheduled = False
            await self._fill(channel, item[2])
        elif what == "S":
            self._state_receive(channel, item[2], item[3], item[4])
        elif what == "flush_state":
            await self._state_flush(channel, item[2])
        elif what == "T":
            origin, text = item[2], item[3]
            for sub in list(channel.subscribers):
                if sub.live and sub.socket.socket_id != origin:
                    await sub.socket.send_text(text)
        elif what == "P":
            self._presence_remote_changed(channel, item[2])
        elif what == "A":
            self._access_recheck_start(channel)
        elif what == "presence_refresh":
            await self._presence_refresh(channel)

    def _access_recheck_start(self, channel: TopicChannel) -> None:
        """Access to the topic changed: hold each live subscription's events (they buffer, in
        order, from this point of the stream) until its socket has checked access again."""
        for sub in list(channel.subscribers):
            held = sub.live  # one still replaying is checked too; its consumer takes it live
            if held:
                sub.buffer = []
            self.loop.create_task(self._access_recheck(sub, held))

    async def _access_recheck(self, sub: Subscription, held: bool) -> None:
        try:
            allowed = await sub.socket.access_recheck(sub)
        except Exception:
            log.exception("access re-check of %s", sub.topic)
            allowed = False
        if allowed and held and sub.buffer is not None:
            await sub.go_live(sub.last_seq)

    async def _drain(self, channel: TopicChannel) -> None:
        while channel.last_seq + 1 in channel.pending:
            seq = channel.last_seq + 1
            text = channel.pending.pop(seq)
            channel.last_seq = seq
            for sub in list(channel.subscribers):
                await sub.deliver(seq, text)
        if channel.pending and not channel.fill_scheduled:
            channel.fill_scheduled = True
            self.loop.call_later(GAP_WAIT_SECONDS, self.submit, ("fill", channel.topic, None))

    async def _fill(self, channel: TopicChannel, up_to: int | None) -> None:
        """Read missing events from the database: up to `up_to`, or up to the first pending one."""
        from realtime.sequencing import topic_events_after

        if channel.pending:
            up_to = max(up_to or 0, min(channel.pending) - 1)
        if up_to is None or up_to <= channel.last_seq:
            await self._drain(channel)
            return
        rows = await db_call(topic_events_after, channel.topic, channel.last_seq, up_to=up_to)
        for seq, text in rows:
            if seq > channel.last_seq:
                channel.pending.setdefault(seq, text)
        if rows:
            log.info("filled %s events of %s from the database", len(rows), channel.topic)
        await self._drain(channel)

    async def _sweep_loop(self) -> None:
        """Catch events that never came through Redis (or were committed by another process)."""
        interval = settings.REALTIME_SWEEP_INTERVAL
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("sweep")

    async def sweep(self) -> None:
        """Compare the heads of the topics served here with the database; fill what is behind."""
        from realtime.sequencing import topic_heads

        topics = [t for t, c in self.channels.items() if c.ready.is_set()]
        for start in range(0, len(topics), 500):
            chunk = topics[start : start + 500]
            heads = await db_call(topic_heads, chunk)
            for topic in chunk:
                channel = self.channels.get(topic)
                if channel is not None and heads.get(topic, 0) > channel.last_seq:
                    self.submit(("fill", topic, heads[topic]))
