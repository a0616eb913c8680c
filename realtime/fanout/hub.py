"""The hub of one server process: topics served here, in-order delivery, gap repair, sweep.

A `Hub` has a topic table, a Redis link, snapshots and presence; it owns the one dispatcher
task through which everything that reaches sockets passes, so a topic's frames leave in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from django.conf import settings

from realtime import metrics
from realtime.collector import loop_lag_watch
from realtime.db import db_call
from realtime.event_log import topic_events_after, topic_head, topic_heads
from realtime.fanout.items import (
    AccessChanged,
    DrainDue,
    EventArrived,
    FillDue,
    Inbound,
    PresenceAnnounced,
    PresenceFlushDue,
    PresenceRefreshDue,
    StateArrived,
    StateDirty,
    StateTickDue,
    TypingArrived,
)
from realtime.fanout.presence import Presence
from realtime.fanout.redis_link import RedisLink
from realtime.fanout.snapshots import Snapshots
from realtime.fanout.topic_table import ServedTopic, Subscription, TopicTable
from realtime.frames import broadcast_prepare

log = logging.getLogger(__name__)
# How long an out-of-order event waits for the missing ones before the hub reads them from the database.
GAP_WAIT_SECONDS = 0.05
SWEEP_CHUNK = 500
EVENT_FRAMES_SENT = metrics.FRAMES_SENT.labels("event")
# How long the dispatcher runs before it lets the rest of the process run: the consumers'
# commands, the writes' `ok`s and the other sockets' frames wait at most about that long behind
# a fan-out (a debate sends events, rankings and queues to thousands of sockets every second).
DISPATCH_SLICE_SECONDS = 0.005
# What the dispatcher takes first: the sequenced events (and what orders or holds them). A `state`
# is coalesced and versioned (PROTOCOL.md §4 promises no order between it and events), so a chat
# message never waits behind the rankings, queues and presence of a debate queued before it.
EVENT_ITEMS = (EventArrived, DrainDue, FillDue, AccessChanged)
# An event's fan-out to thousands of sockets checks every this many sockets whether its slice is
# used and another topic's events wait (`_events_between`).
FANOUT_CHUNK = 64


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        # Two lanes into the one dispatcher: events first (EVENT_ITEMS), then everything else,
        # each in the order submitted; so a topic's events still leave in order.
        self._events: deque[Inbound] = deque()
        self._others: deque[Inbound] = deque()
        self._submitted = asyncio.Event()
        self.table = TopicTable()
        self.link = RedisLink(
            url=settings.REDIS_URL,
            loop=loop,
            deliver=self.submit,
            served_topics=self.table.names,
            on_reconnected=self._after_reconnect,
        )
        self.snapshots = Snapshots(
            loop=loop,
            link=self.link,
            submit=self.submit,
            served=self.table.get,
            between=self._events_between,
        )
        self.presence = Presence(
            loop=loop, table=self.table, link=self.link, snapshots=self.snapshots, submit=self.submit
        )
        self._tasks: list[asyncio.Task] = []
        self._slice_started = 0.0  # when the dispatcher last let the process run (`_pause_if_long`)
        # Topics whose events are being fanned out: their next items wait, whatever runs meanwhile.
        self._fanning_out: set[str] = set()
        # How many access changes reached this process (any topic): a subscribe that saw it move
        # between its access check and its attach checks again (LiveConsumer.on_subscribe).
        self.access_changes = 0
        # Items that concern a topic whether or not it is served here.
        self._any_topic: dict[type, Callable[[Inbound], Awaitable[None]]] = {
            StateDirty: self._on_state_dirty,
            StateTickDue: self._on_state_tick,
            PresenceFlushDue: self._on_presence_flush,
        }
        # Items dropped unless the topic is served here.
        self._served_topic: dict[type, Callable[[ServedTopic, Inbound], Awaitable[None]]] = {
            EventArrived: self._on_event,
            DrainDue: self._on_drain,
            FillDue: self._on_fill,
            StateArrived: self._on_state,
            TypingArrived: self._on_typing,
            PresenceAnnounced: self._on_presence_announced,
            PresenceRefreshDue: self._on_presence_refresh,
            AccessChanged: self._on_access_changed,
        }

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(self.loop.create_task(self._dispatch_loop(), name="hub-dispatch"))
        self._tasks.append(self.loop.create_task(self._sweep_loop(), name="hub-sweep"))
        self._tasks.append(self.loop.create_task(loop_lag_watch(), name="hub-loop-lag"))
        if self.link.enabled:
            self._tasks.append(self.loop.create_task(self.link.run(), name="hub-redis"))
            self._tasks.append(self.loop.create_task(self.presence.heartbeat(), name="hub-presence"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await task
                except Exception:
                    log.exception("hub task %s failed while stopping", task.get_name())
        await self.link.close()

    def is_idle(self) -> bool:
        """No topic served, hence no subscription and no presence left in this process."""
        return len(self.table) == 0

    # --- subscriptions (the consumer's interface) ----------------------------------------

    async def attach(self, sub: Subscription) -> ServedTopic:
        """Register a (buffering) subscription; returns once the topic is live in this process."""
        served, created = self.table.open(sub.topic)
        if created:
            self.loop.create_task(self._open(served))
        served.subscribers.add(sub)
        metrics.SUBSCRIPTIONS.inc()
        await served.ready.wait()
        return served

    def detach(self, sub: Subscription) -> None:
        served = self.table.get(sub.topic)
        if served is None or sub not in served.subscribers:
            return
        served.subscribers.discard(sub)
        metrics.SUBSCRIPTIONS.dec()
        if sub.in_presence:
            self.presence.leave(served, sub.username)
        if not served.subscribers:
            self.table.close(sub.topic)
            if self.link.ready.is_set():
                self.loop.create_task(self._unsubscribe_unserved(sub.topic))

    def presence_join(self, sub: Subscription) -> None:
        self.presence.join(sub)

    async def state_for_new_subscriber(self, served: ServedTopic, sub: Subscription) -> None:
        await self.snapshots.send_current(served, sub)

    async def _open(self, served: ServedTopic) -> None:
        try:
            if self.link.enabled:
                if not self.link.ready.is_set():
                    # The hub is (re)connecting: give it a moment rather than rely on the sweep.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.link.ready.wait(), 1.0)
                await self.link.subscribe(served.topic)
            # Read the head only once Redis delivers the topic: nothing committed later is missed.
            served.last_seq = await db_call(topic_head, served.topic)
        except Exception:
            log.exception("opening topic %s", served.topic)
        for seq in [s for s in served.pending if s <= served.last_seq]:
            del served.pending[seq]
        served.ready.set()
        if served.pending:
            self.submit(DrainDue(served.topic))

    async def _unsubscribe_unserved(self, topic: str) -> None:
        if topic not in self.table:  # nobody subscribed again meanwhile
            await self.link.unsubscribe(topic)

    async def _after_reconnect(self) -> None:
        """Backfill what was published while Redis was away, then refresh snapshots and presence."""
        try:
            await self.sweep()
        except Exception:
            log.exception("backfill after Redis reconnect")
        for topic in self.table.names():
            self.submit(StateDirty(topic))
        await self.presence.announce_all()

    # --- inbound (called from any thread via publish_* or from the Redis reader) ---------

    def submit(self, item: Inbound) -> None:
        if isinstance(item, AccessChanged):
            self.access_changes += 1
        (self._events if isinstance(item, EVENT_ITEMS) else self._others).append(item)
        self._submitted.set()

    async def _dispatch_loop(self) -> None:
        while True:
            if not self._events and not self._others:
                self._submitted.clear()
                await self._submitted.wait()
                self._slice_started = time.perf_counter()  # it waited: the process ran meanwhile
            await self._dispatch_logged(self._events.popleft() if self._events else self._others.popleft())
            await self._pause_if_long()

    async def _events_between(self) -> None:
        """Inside a fan-out to thousands of sockets (a `state` flush, or an event: a question asked,
        tens of milliseconds): let the process run once the slice is used, then dispatch the events
        queued meanwhile (a chat message) before the rest of it. A snapshot has no order with
        events (PROTOCOL.md §4); an item of a topic whose events are being fanned out stays
        queued, in its order, for after: a topic's events never overtake each other."""
        await self._pause_if_long()
        held: deque[Inbound] = deque()
        while self._events:
            item = self._events.popleft()
            if item.topic in self._fanning_out:
                held.append(item)
            else:
                await self._dispatch_logged(item)
        self._events = held  # nothing was submitted since the loop saw the lane empty

    async def _dispatch_logged(self, item: Inbound) -> None:
        """Dispatch one item; a handler's failure is logged and the dispatcher goes on."""
        try:
            await self._dispatch(item)
        except Exception:
            log.exception("dispatching %r", item)

    async def _pause_if_long(self) -> None:
        """Let the rest of the process run once the dispatcher has worked for a slice: a queue
        of items (or one burst of events) fans out slice by slice, never in one long stretch."""
        if time.perf_counter() - self._slice_started >= DISPATCH_SLICE_SECONDS:
            await asyncio.sleep(0)
            self._slice_started = time.perf_counter()

    async def _dispatch(self, item: Inbound) -> None:
        handler = self._any_topic.get(type(item))
        if handler is not None:
            await handler(item)
            return
        served = self.table.get(item.topic)
        if served is not None:
            await self._served_topic[type(item)](served, item)

    async def _on_state_dirty(self, item: StateDirty) -> None:
        self.snapshots.schedule(item.topic)

    async def _on_state_tick(self, item: StateTickDue) -> None:
        await self.snapshots.tick(item.tick)

    async def _on_presence_flush(self, item: PresenceFlushDue) -> None:
        await self.presence.flush(item.topic)  # also when the topic just emptied here

    async def _on_event(self, served: ServedTopic, item: EventArrived) -> None:
        if item.seq > served.last_seq and item.seq not in served.pending:
            served.pending[item.seq] = item.text
            if served.ready.is_set():
                await self._drain(served)

    async def _on_drain(self, served: ServedTopic, item: DrainDue) -> None:
        await self._drain(served)

    async def _on_fill(self, served: ServedTopic, item: FillDue) -> None:
        served.fill_scheduled = False
        await self._fill(served, item.up_to)

    async def _on_state(self, served: ServedTopic, item: StateArrived) -> None:
        self.snapshots.receive(served, item.kind, item.version, item.text)

    async def _on_typing(self, served: ServedTopic, item: TypingArrived) -> None:
        for sub in list(served.subscribers):
            if sub.live and sub.socket.socket_id != item.origin:
                await sub.socket.send_text(item.text)

    async def _on_presence_announced(self, served: ServedTopic, item: PresenceAnnounced) -> None:
        self.presence.remote_changed(served, item.version)

    async def _on_presence_refresh(self, served: ServedTopic, item: PresenceRefreshDue) -> None:
        await self.presence.refresh(served)

    async def _on_access_changed(self, served: ServedTopic, item: AccessChanged) -> None:
        """Hold each live subscription's events (they buffer, in order, from this point of the
        stream) until its socket has checked access again; a lost one never gets them."""
        for sub in list(served.subscribers):
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

    # --- ordering ------------------------------------------------------------------------

    async def _drain(self, served: ServedTopic) -> None:
        if served.topic in self._fanning_out:
            return  # under way further up the stack: it takes what arrived when it gets there
        self._fanning_out.add(served.topic)
        try:
            await self._drain_in_order(served)
        finally:
            self._fanning_out.discard(served.topic)
        if served.pending and not served.fill_scheduled:
            served.fill_scheduled = True
            self.loop.call_later(GAP_WAIT_SECONDS, self.submit, FillDue(served.topic))

    async def _drain_in_order(self, served: ServedTopic) -> None:
        while served.last_seq + 1 in served.pending:
            seq = served.last_seq + 1
            text = served.pending.pop(seq)
            served.last_seq = seq
            subscribers = list(served.subscribers)
            metrics.DELIVERIES.inc(len(subscribers))
            prepared = broadcast_prepare(text)  # framed once, written as is to every socket
            started = time.perf_counter()
            direct = 0
            for index, sub in enumerate(subscribers, 1):
                if sub.deliver_now(seq, prepared):
                    direct += 1
                else:
                    await sub.deliver(seq, text)
                if index % FANOUT_CHUNK == 0:
                    await self._events_between()
            metrics.FANOUT_SECONDS.observe(time.perf_counter() - started)
            if direct:
                EVENT_FRAMES_SENT.inc(direct)
            await self._pause_if_long()  # a burst fans out in slices: `ok`s and commands go on meanwhile

    async def _fill(self, served: ServedTopic, up_to: int | None) -> None:
        """Read missing events from the database: up to `up_to`, or up to the first pending one."""
        if served.pending:
            up_to = max(up_to or 0, min(served.pending) - 1)
        if up_to is None or up_to <= served.last_seq:
            await self._drain(served)
            return
        rows = await db_call(topic_events_after, served.topic, served.last_seq, up_to=up_to)
        for seq, text in rows:
            if seq > served.last_seq:
                served.pending.setdefault(seq, text)
        if rows:
            metrics.GAP_REPAIRS.inc(len(rows))
            log.info("filled %s events of %s from the database", len(rows), served.topic)
        await self._drain(served)

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
        metrics.SWEEPS.inc()
        topics = self.table.ready_names()
        for start in range(0, len(topics), SWEEP_CHUNK):
            chunk = topics[start : start + SWEEP_CHUNK]
            heads = await db_call(topic_heads, chunk)
            for topic in chunk:
                served = self.table.get(topic)
                if served is not None and heads.get(topic, 0) > served.last_seq:
                    self.submit(FillDue(topic, heads[topic]))
