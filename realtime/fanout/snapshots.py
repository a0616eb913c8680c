"""`state` snapshots: computed coalesced where written, forwarded coalesced where read.

Both sides keep time on one grid of REALTIME_STATE_INTERVAL (I) on the wall clock, the same in
every process and, with NTP, on every host:

- where read, a snapshot that changed waits for the next state tick (n × I), and every snapshot
  due at one tick leaves together: a socket that follows several of them (a debate page: its
  room, questions and floor) gets their frames in one write, not one write each;
- where written, a busy topic is computed at the half-ticks ((n + ½) × I), so that its snapshot
  reaches every process before the next tick; a topic quiet for an interval is computed at once.

A change thus reaches the sockets at most 1½ I after its commit while the topic is busy (the
half-tick, then the tick), and at most I after it when the topic was quiet.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from django.conf import settings

from realtime import metrics
from realtime.db import db_read
from realtime.errors import AppError
from realtime.fanout.items import Inbound, StateArrived, StateTickDue
from realtime.fanout.redis_link import RedisLink
from realtime.fanout.topic_table import (
    STATE_FRAMES_SENT,
    ServedTopic,
    StateDelta,
    StateSlot,
    Subscription,
)
from realtime.fanout.wire import state_payload
from realtime.frames import PreparedFrames, broadcast_prepare, loads, state_delta, state_delta_frame
from realtime.state_snapshot import topic_state_compute

log = logging.getLogger(__name__)
# Forget when topics were last computed once this many are remembered (a bound, not a cache).
COMPUTE_TIMES_MAX = 10_000
# A tick further away than this many intervals: the wall clock went back (a step of NTP, a
# virtual machine resumed), and the grid starts again from now rather than wait for the old one.
CLOCK_BACK_INTERVALS = 2
# A compute's claim across processes lasts this share of an interval: it has ended by the next
# half-tick, when a busy topic is computed again.
CLAIM_SHARE = 0.9
# A flush to thousands of sockets checks every this many sockets whether events are waiting.
FLUSH_CHUNK = 64
SUPERSEDED_STATES = metrics.FRAMES_DROPPED.labels("state", "superseded")
COMPUTED, LEFT_TO_ANOTHER = (metrics.STATE_COMPUTES.labels(outcome) for outcome in ("computed", "deferred"))


class Snapshots:
    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        link: RedisLink,
        submit: Callable[[Inbound], None],
        served: Callable[[str], ServedTopic | None],
        between: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.loop = loop
        # Awaited every FLUSH_CHUNK sockets of a flush: the hub lets the process run and sends the
        # events that arrived meanwhile, so none waits for the rest of a snapshot's fan-out.
        self._between = between
        self._link = link
        self._submit = submit
        self._served = served
        # Per topic, the first half-tick (its number n) at which it may be computed again.
        self._next_compute: dict[str, int] = {}
        self._scheduled: set[str] = set()
        # The snapshots waiting for each coming state tick: (topic, kind), in arrival order.
        self._due: dict[int, list[tuple[str, str]]] = {}

    # --- publisher side: a write committed here changed the snapshot ---------------------

    def schedule(self, topic: str) -> None:
        """Recompute `topic`'s snapshot, at most once per interval: in this process, and across
        processes through Redis (`RedisLink.compute_claim`). Every process that commits a debate's
        writes marks its snapshots dirty; one of them computes each interval, not each of them
        (the others try again when its claim ends)."""
        if topic in self._scheduled:
            return
        self._scheduled.add(topic)
        interval = settings.REALTIME_STATE_INTERVAL
        turn = self._next_compute.get(topic)
        delay = -1.0 if turn is None else (turn + 0.5) * interval - time.time()
        if not 0 < delay <= CLOCK_BACK_INTERVALS * interval:  # quiet for an interval (or the clock went back): at once
            turn, delay = None, 0.0
        self.loop.call_later(delay, lambda: self.loop.create_task(self._compute_and_publish(topic, turn)))

    async def _compute_and_publish(self, topic: str, turn: int | None = None) -> None:
        """Compute at half-tick `turn`, or at once (None: the topic was quiet)."""
        self._scheduled.discard(topic)
        interval = settings.REALTIME_STATE_INTERVAL
        # The next half-tick: the one after this one, or the first an interval from now.
        self._next_compute[topic] = turn + 1 if turn is not None else math.ceil(time.time() / interval + 0.5)
        if len(self._next_compute) > COMPUTE_TIMES_MAX:
            self._next_compute.clear()
        if not await self._followed(topic):
            return
        # The claim ends before the next half-tick, when the next compute of a busy topic is due.
        wait = await self._link.compute_claim(topic, CLAIM_SHARE * interval)
        if wait:
            # Another process computes this interval. It may have read the database before this
            # process's write committed: this process tries again once that claim ends, and
            # computes when it gets the claim (a process that took it meanwhile read after this
            # commit; computing once more then is the price of never losing a change to a process
            # that died between its claim and its publish).
            LEFT_TO_ANOTHER.inc()
            self._next_compute[topic] = math.ceil((time.time() + wait) / interval - 0.5)
            self.schedule(topic)
            return
        COMPUTED.inc()
        try:
            computed = await db_read(topic_state_compute, topic)
        except Exception as error:
            if isinstance(error, AppError) and error.code == "rate_limited":
                log.info("state of %s: the database is busy, computed again shortly", topic)
                self.schedule(topic)  # after REALTIME_STATE_INTERVAL: its subscribers still need it
            else:
                log.exception("computing state of %s", topic)
            return
        if computed is None:
            return
        kind, version, text = computed
        self._submit(StateArrived(topic, kind, version, text))
        await self._link.publish(topic, state_payload(kind, version, text))

    async def _followed(self, topic: str) -> bool:
        """Whether a socket of any process follows `topic`: nobody gets a snapshot computed for
        nobody (the moderators' questions while no moderator has the page open). A process that
        subscribes later reads the state itself once its Redis subscription is confirmed
        (`send_current`), so after this answer, hence after the write: it misses nothing."""
        if self._served(topic) is not None:
            return True
        if not self._link.enabled:
            return False  # one process: every socket is here
        return await self._link.followed_elsewhere(topic)

    # --- receiver side: forward the newest version to the sockets, coalesced -------------

    def receive(self, served: ServedTopic, kind: str, version: int, text: str) -> None:
        slot = served.states.setdefault(kind, StateSlot())
        if version <= slot.version:
            return
        slot.version, slot.text = version, text
        if slot.flush_pending:
            return
        slot.flush_pending = True
        # The next tick, and not the one this slot was last sent at: at most one frame of a kind per
        # interval. A change after a quiet spell waits for the tick too (at most an interval), so
        # that it leaves with the others.
        interval = settings.REALTIME_STATE_INTERVAL
        now = time.time()
        tick = max(math.ceil(now / interval), round(slot.sent_at / interval) + 1)
        if tick * interval - now > CLOCK_BACK_INTERVALS * interval:  # the clock went back: the next tick
            tick = math.ceil(now / interval)
        due = self._due.get(tick)
        if due is None:
            due = self._due[tick] = []
            self.loop.call_later(max(0.0, tick * interval - now), self._submit, StateTickDue(tick))
        due.append((served.topic, kind))

    async def tick(self, tick: int) -> None:
        """Send every snapshot due at `tick` that a local socket still follows, together."""
        due = []
        for topic, kind in self._due.pop(tick, ()):
            served = self._served(topic)
            if served is not None:
                due.append((served, kind))
        await self.flush(due, at=tick * settings.REALTIME_STATE_INTERVAL)

    async def flush(self, due: Iterable[tuple[ServedTopic, str]], *, at: float | None = None) -> None:
        """Send the newest snapshot of each (served topic, kind) to its sockets; a socket that gets
        frames of several of them gets them in one write (`PreparedFrames`). `at`: the tick's time."""
        sent_at = time.time() if at is None else at
        flushes = []
        for served, kind in due:
            slot = served.states.get(kind)
            if slot is None or slot.text is None:
                continue
            slot.flush_pending = False
            slot.sent_at = sent_at
            # Taken once: a subscribe may cache a newer snapshot in the slot while this loop waits on a socket.
            subscribers = list(served.subscribers)
            delta = self._delta(served.topic, kind, slot, any(sub.deltas for sub in subscribers))
            prepared = broadcast_prepare(slot.text)  # framed once
            flushes.append(_Flush(kind, slot.version, slot.text, prepared, slot.serial, delta, subscribers))
        if len(flushes) == 1:
            per_socket = [[(sub, flushes[0])] for sub in flushes[0].subscribers]
        else:
            by_socket: dict[int, list[tuple[Subscription, _Flush]]] = {}
            for flush in flushes:
                for sub in flush.subscribers:
                    by_socket.setdefault(id(sub.socket), []).append((sub, flush))
            per_socket = list(by_socket.values())
        picked = [0, 0, 0]  # frames by what they were: nothing (superseded), the snapshot, the delta
        combined: dict[tuple[int, ...], PreparedFrames] = {}  # one per combination, for every socket
        for index, entries in enumerate(per_socket, 1):
            sender = entries[0][0].sender
            if sender is None:  # no writer of prepared frames: the socket's own path, frame by frame
                for sub, flush in entries:
                    await sub.deliver_state(
                        flush.kind, flush.version, flush.text, serial=flush.serial, delta=flush.delta
                    )
            else:
                frames = []
                for sub, flush in entries:
                    outcome, frame = sub.state_frame_pick(
                        flush.kind, flush.version, flush.prepared, flush.serial, flush.delta
                    )
                    picked[outcome] += 1
                    if frame is not None:
                        frames.append(frame)
                if len(frames) == 1:
                    sender(frames[0])
                elif frames:
                    key = tuple(map(id, frames))  # the frames live as long as this flush: ids are unique
                    bundle = combined.get(key)
                    if bundle is None:
                        bundle = combined[key] = PreparedFrames(frames)
                    sender(bundle)
            if self._between is not None and index % FLUSH_CHUNK == 0:
                await self._between()
        superseded, whole, deltas = picked  # counted once per flush, not per socket
        if superseded:
            SUPERSEDED_STATES.inc(superseded)
        if whole + deltas:
            STATE_FRAMES_SENT.inc(whole + deltas)
        if deltas:
            metrics.STATE_DELTAS_SENT.inc(deltas)

    @staticmethod
    def _delta(topic: str, kind: str, slot: StateSlot, wanted: bool) -> StateDelta | None:
        """Number this flush, and frame it once as a delta on the previous flush when some socket
        takes deltas and the delta is smaller than the snapshot. Sockets that got the previous
        flush get it; every other socket (a new one, one that skipped a version) the snapshot."""
        base, previous = slot.serial, slot.flushed
        slot.serial += 1
        slot.flushed = loads(slot.text)["data"] if wanted else None
        if previous is None or slot.flushed is None:
            return None
        change = state_delta(previous, slot.flushed)
        if change is None:
            return None
        text = state_delta_frame(topic=topic, kind=kind, delta=change)
        if len(text) >= len(slot.text):
            return None
        return StateDelta(base, text, broadcast_prepare(text))

    async def send_current(self, served: ServedTopic, sub: Subscription) -> None:
        """Send a new subscriber the topic's current state: cached, or read from the database once
        for all the subscribes of this moment. When the database is too busy to answer (a burst
        of joins), the subscriber gets it with everyone else from the recomputation scheduled here."""
        if not served.states or all(slot.text is None for slot in served.states.values()):
            try:
                computed = await self._first_state(served)
            except AppError as error:
                if error.code != "rate_limited":
                    raise
                self.schedule(served.topic)
                return
            if computed is not None:
                kind, version, text = computed
                slot = served.states.setdefault(kind, StateSlot())
                if version > slot.version:
                    slot.version, slot.text = version, text
        for kind, slot in list(served.states.items()):
            if slot.text is not None:
                # The last flush's own text (a delta may build on it: the slot's text changes only
                # with its version), or a newer one not flushed yet, which a subscriber taking
                # deltas makes the base of the next flush's delta (`_adopt`): else the first flush
                # after a crowd subscribed (a debate opening) would send each the whole snapshot again.
                flushed = slot.flushed is not None and slot.flushed["version"] == slot.version
                if not flushed and sub.deltas:
                    self._adopt(slot)
                    flushed = True
                serial = slot.serial if flushed else None
                await sub.deliver_state(kind, slot.version, slot.text, serial=serial)

    @staticmethod
    def _adopt(slot: StateSlot) -> None:
        """Number the slot's current text as if flushed (serial and data): the next flush's delta
        builds on it. A socket that holds the previous serial gets the whole snapshot then."""
        slot.serial += 1
        slot.flushed = loads(slot.text)["data"]

    def _first_state(self, served: ServedTopic) -> asyncio.Future:
        if served.state_loading is None:
            task = served.state_loading = self.loop.create_task(db_read(topic_state_compute, served.topic))

            def done(task: asyncio.Task) -> None:
                served.state_loading = None
                if not task.cancelled():
                    task.exception()  # retrieved here too: every waiter may have gone

            task.add_done_callback(done)
        return asyncio.shield(served.state_loading)


@dataclass(frozen=True, slots=True)
class _Flush:
    """One snapshot of a tick, as its sockets get it."""

    kind: str
    version: int
    text: str
    prepared: object
    serial: int
    delta: StateDelta | None
    subscribers: list[Subscription]
