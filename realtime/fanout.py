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
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis
from django.conf import settings

from realtime.db import db_call
from realtime.frames import dumps, loads

log = logging.getLogger(__name__)

PROCESS_ID = uuid.uuid4().hex[:12]
# How long an out-of-order event waits for the missing ones before the hub reads them from the database.
GAP_WAIT_SECONDS = 0.05
PRESENCE_HEARTBEAT_SECONDS = 10.0
PRESENCE_STALE_SECONDS = 35.0
# A presence frame names at most this many people (alphabetically); `count` is always exact.
PRESENCE_LIST_MAX = 100
PRESENCE_CROWD = 250


def redis_prefix() -> str:
    return getattr(settings, "REDIS_PREFIX", "cl")


def redis_channel(topic: str) -> str:
    return f"{redis_prefix()}:{topic}"


class Socket(Protocol):
    """What the hub needs from a connection (the consumer implements it)."""

    socket_id: str

    async def send_text(self, text: str) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One socket following one topic. Buffers live events until its replay is sent."""

    socket: Socket
    topic: str
    username: str | None = None
    in_presence: bool = False
    last_seq: int = 0
    buffer: list[tuple[int, str]] | None = field(default_factory=list)
    state_versions: dict[str, int] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.buffer is None

    async def deliver(self, seq: int, text: str) -> None:
        if self.buffer is not None:
            self.buffer.append((seq, text))
            return
        await self._send_next(seq, text)

    async def go_live(self, last_seq: int) -> None:
        """Switch from replay to live: send what arrived meanwhile, skipping what the replay covered."""
        self.last_seq = last_seq
        while self.buffer:
            seq, text = self.buffer.pop(0)
            await self._send_next(seq, text)
        self.buffer = None

    async def _send_next(self, seq: int, text: str) -> None:
        if seq <= self.last_seq:
            return
        if seq > self.last_seq + 1:
            # Cannot happen while the hub delivers in order; repair from the database rather than skip.
            from realtime.sequencing import topic_events_after

            missing = await db_call(topic_events_after, self.topic, self.last_seq, up_to=seq - 1)
            for missing_seq, missing_text in missing:
                if missing_seq == self.last_seq + 1:
                    self.last_seq = missing_seq
                    await self.socket.send_text(missing_text)
        self.last_seq = seq
        await self.socket.send_text(text)

    async def deliver_state(self, kind: str, version: int, text: str) -> None:
        if self.buffer is not None or self.state_versions.get(kind, -1) >= version:
            return
        self.state_versions[kind] = version
        await self.socket.send_text(text)


@dataclass(eq=False)
class StateSlot:
    version: int = -1
    text: str | None = None
    sent_at: float = 0.0
    flush_pending: bool = False


@dataclass(eq=False)
class TopicChannel:
    topic: str
    subscribers: set[Subscription] = field(default_factory=set)
    last_seq: int = 0
    pending: dict[int, str] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    fill_scheduled: bool = False
    states: dict[str, StateSlot] = field(default_factory=dict)
    presence: Counter = field(default_factory=Counter)
    presence_dirty: bool = False
    presence_at: float = 0.0
    presence_remote_version: int = 0
    presence_refresh_pending: bool = False
    presence_refreshed_at: float = 0.0


class Hub:
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
            self.inbound.put_nowait(("drain", channel.topic))

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
        elif what == "presence_refresh":
            await self._presence_refresh(channel)

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
        from realtime.sequencing import topic_heads

        interval = settings.REALTIME_SWEEP_INTERVAL
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep(topic_heads)
            except Exception:
                log.exception("sweep")

    async def sweep(self, topic_heads=None) -> None:
        if topic_heads is None:
            from realtime.sequencing import topic_heads
        topics = [t for t, c in self.channels.items() if c.ready.is_set()]
        for start in range(0, len(topics), 500):
            chunk = topics[start : start + 500]
            heads = await db_call(topic_heads, chunk)
            for topic in chunk:
                channel = self.channels.get(topic)
                if channel is not None and heads.get(topic, 0) > channel.last_seq:
                    self.submit(("fill", topic, heads[topic]))

    # --- state frames --------------------------------------------------------------------

    def _state_schedule(self, topic: str) -> None:
        """Publisher side: recompute `topic`'s snapshot, at most once per interval."""
        if topic in self._state_scheduled:
            return
        self._state_scheduled.add(topic)
        delay = max(0.0, self._state_next_compute.get(topic, 0.0) - time.monotonic())
        self.loop.call_later(delay, lambda: self.loop.create_task(self._state_compute_and_publish(topic)))

    async def _state_compute_and_publish(self, topic: str) -> None:
        from realtime.state import topic_state_compute

        self._state_scheduled.discard(topic)
        self._state_next_compute[topic] = time.monotonic() + settings.REALTIME_STATE_INTERVAL
        if len(self._state_next_compute) > 10_000:
            self._state_next_compute.clear()
        try:
            computed = await db_call(topic_state_compute, topic)
        except Exception:
            log.exception("computing state of %s", topic)
            return
        if computed is None:
            return
        kind, version, text = computed
        self.submit(("S", topic, kind, version, text))
        if self.redis is not None:
            try:
                await self.redis.publish(redis_channel(topic), f"S{kind}|{version}|{text}")
            except Exception:
                log.warning("Redis publish failed for state of %s", topic)

    def _state_receive(self, channel: TopicChannel, kind: str, version: int, text: str) -> None:
        slot = channel.states.setdefault(kind, StateSlot())
        if version <= slot.version:
            return
        slot.version, slot.text = version, text
        if slot.flush_pending:
            return
        slot.flush_pending = True
        delay = max(0.0, slot.sent_at + settings.REALTIME_STATE_INTERVAL - time.monotonic())
        if delay == 0.0:
            self.submit(("flush_state", channel.topic, kind))
        else:
            self.loop.call_later(delay, self.submit, ("flush_state", channel.topic, kind))

    async def _state_flush(self, channel: TopicChannel, kind: str) -> None:
        slot = channel.states.get(kind)
        if slot is None or slot.text is None:
            return
        slot.flush_pending = False
        slot.sent_at = time.monotonic()
        for sub in list(channel.subscribers):
            await sub.deliver_state(kind, slot.version, slot.text)

    async def state_for_new_subscriber(self, channel: TopicChannel, sub: Subscription) -> None:
        """Send a new subscriber the topic's current state: cached, or read from the database."""
        from realtime.state import topic_state_compute

        if not channel.states or all(slot.text is None for slot in channel.states.values()):
            computed = await db_call(topic_state_compute, channel.topic)
            if computed is not None:
                kind, version, text = computed
                slot = channel.states.setdefault(kind, StateSlot())
                if version > slot.version:
                    slot.version, slot.text = version, text
        for kind, slot in list(channel.states.items()):
            if slot.text is not None:
                await sub.deliver_state(kind, slot.version, slot.text)

    # --- presence ------------------------------------------------------------------------
    # Joins and leaves only mark the room dirty; the list is built, announced and sent at most
    # once per REALTIME_STATE_INTERVAL, so a crowd arriving costs O(n), not O(n^2).

    def _presence_changed(self, channel: TopicChannel) -> None:
        if channel.presence_dirty:
            return
        channel.presence_dirty = True
        # A crowd needs no instant roll call: the interval grows with the room (5,000 people: 5 s).
        interval = settings.REALTIME_STATE_INTERVAL * max(1.0, len(channel.subscribers) / PRESENCE_CROWD)
        delay = max(0.0, channel.presence_at + interval - time.monotonic())
        self.loop.call_later(delay, self.submit, ("presence_flush", channel.topic))

    async def _presence_flush(self, topic: str) -> None:
        channel = self.channels.get(topic)
        if channel is not None:
            channel.presence_dirty = False
            channel.presence_at = time.monotonic()
        users = list(channel.presence) if channel is not None else []
        if self.redis is not None:
            await self._presence_announce(topic, users)
        elif channel is not None:
            self._presence_version += 1
            self._presence_emit(channel, set(users), self._presence_version)

    def _presence_emit(self, channel: TopicChannel, users: set[str], version: int) -> None:
        names = sorted(users)
        data = {
            "users": names[:PRESENCE_LIST_MAX],
            "count": len(names),
            "truncated": len(names) > PRESENCE_LIST_MAX,
            "version": version,
        }
        text = dumps({"type": "state", "topic": channel.topic, "kind": "presence", "data": data})
        self._state_receive(channel, "presence", version, text)

    async def _presence_announce(self, topic: str, users: list[str], *, tell: bool = True) -> None:
        """Write this process's share of the room's presence to Redis and (if `tell`) tell every process."""
        key = f"{redis_prefix()}:presence:{topic}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                if users:
                    pipe.hset(key, PROCESS_ID, dumps({"users": users, "at": time.time()}))
                else:
                    pipe.hdel(key, PROCESS_ID)
                pipe.expire(key, int(PRESENCE_STALE_SECONDS * 2))
                pipe.incr(f"{key}:version")
                results = await pipe.execute()
            if tell:
                await self.redis.publish(redis_channel(topic), f"P{results[-1]}")
        except Exception:
            log.warning("presence announce failed for %s", topic)
            channel = self.channels.get(topic)
            if channel is not None:
                self._presence_version += 1
                self._presence_emit(channel, set(channel.presence), self._presence_version)

    def _presence_remote_changed(self, channel: TopicChannel, version: int) -> None:
        """Another process (or this one) announced a change: re-read the shares, coalesced."""
        channel.presence_remote_version = max(channel.presence_remote_version, version)
        if channel.presence_refresh_pending:
            return
        channel.presence_refresh_pending = True
        delay = max(0.0, channel.presence_refreshed_at + settings.REALTIME_STATE_INTERVAL - time.monotonic())
        self.loop.call_later(delay, self.submit, ("presence_refresh", channel.topic))

    async def _presence_refresh(self, channel: TopicChannel) -> None:
        channel.presence_refresh_pending = False
        channel.presence_refreshed_at = time.monotonic()
        version = channel.presence_remote_version
        try:
            shares = await self.redis.hgetall(f"{redis_prefix()}:presence:{channel.topic}")
        except Exception:
            return
        users: set[str] = set(channel.presence)
        now = time.time()
        for owner, raw in shares.items():
            share = loads(raw)
            if owner.decode() != PROCESS_ID and now - share["at"] < PRESENCE_STALE_SECONDS:
                users.update(share["users"])
        self._presence_emit(channel, users, version)

    # --- Redis ---------------------------------------------------------------------------

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
            await self.redis.publish(redis_channel(topic), f"P{version}")


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
    _redis_publish(topic, f"E{seq}|{frame}")


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
        _redis_publish(topic, f"S{kind}|{version}|{text}")


def publish_typing(topic: str, origin: str, frame: str) -> None:
    local = _local_hub()
    if local is not None:
        local.submit(("T", topic, origin, frame))
    if local is not None and local.redis is not None:
        local.loop.create_task(_async_publish(local, topic, f"T{origin}|{frame}"))


async def _async_publish(local: Hub, topic: str, payload: str) -> None:
    try:
        await local.redis.publish(redis_channel(topic), payload)
    except Exception:
        pass
