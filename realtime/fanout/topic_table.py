"""What one process keeps per topic it serves: subscriptions, ordering state, latest snapshots."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from realtime import metrics
from realtime.db import db_call
from realtime.event_log import topic_events_after

STATE_FRAMES_SENT = metrics.FRAMES_SENT.labels("state")
# What a flush's frame was to one socket (`Subscription.state_frame_pick`).
STATE_SUPERSEDED, STATE_WHOLE, STATE_DELTA = range(3)


class Socket(Protocol):
    """What the hub needs from a connection (the consumer implements it)."""

    socket_id: str

    async def send_text(self, text: str) -> None: ...

    def prepared_sender(self) -> Callable[[object], None] | None: ...

    async def access_recheck(self, sub: Subscription) -> bool: ...


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
    # The client rebuilds deltas (subscribe with `deltas: true`); per state kind, which flush of
    # this process's slot it last got (`StateSlot.serial`), the base a delta may build on.
    deltas: bool = False
    state_serials: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The socket's writer of frames framed once for all sockets (realtime.frames.broadcast_prepare),
        # looked up once: a fan-out calls it for each of thousands of sockets. None: `send_text`.
        self.sender = self.socket.prepared_sender()

    @property
    def live(self) -> bool:
        return self.buffer is None

    async def deliver(self, seq: int, text: str) -> None:
        if self.buffer is not None:
            self.buffer.append((seq, text))
            return
        await self._send_next(seq, text)

    def deliver_now(self, seq: int, prepared: object) -> bool:
        """The common case without a coroutine: live, the next seq, a socket that takes a prepared
        frame. False if `deliver` must handle it (buffering, duplicate, gap, no such socket)."""
        sender = self.sender
        if sender is None or self.buffer is not None or seq != self.last_seq + 1:
            return False
        sender(prepared)
        self.last_seq = seq
        return True

    async def go_live(self, last_seq: int) -> None:
        """Switch from replay to live: send what arrived meanwhile, skipping what the replay covered."""
        self.last_seq = last_seq
        while self.buffer:
            seq, text = self.buffer.pop(0)
            await self._send_next(seq, text)
        self.buffer = None

    async def _send_next(self, seq: int, text: str) -> None:
        if seq <= self.last_seq:
            metrics.FRAMES_DROPPED.labels("event", "duplicate").inc()
            return
        if seq > self.last_seq + 1:
            # Cannot happen while the hub delivers in order; repair from the database rather than skip.
            missing = await db_call(topic_events_after, self.topic, self.last_seq, up_to=seq - 1)
            metrics.GAP_REPAIRS.inc(len(missing))
            for missing_seq, missing_text in missing:
                if missing_seq == self.last_seq + 1:
                    self.last_seq = missing_seq
                    await self.socket.send_text(missing_text)
        self.last_seq = seq
        await self.socket.send_text(text)

    def state_frame_pick(
        self, kind: str, version: int, prepared: object, serial: int | None, delta
    ) -> tuple[int, object | None]:
        """A flush's common case, for a socket with a writer of prepared frames (`sender`): which of
        the flush's frames this socket gets, the snapshot's (`prepared`) or its delta's, and what it
        was (STATE_SUPERSEDED: none; STATE_WHOLE; STATE_DELTA), recorded as what it then holds. The
        flush writes it, with the frames of the other topics of that tick for the same socket."""
        picked = self._state_pick(kind, version, serial, delta)
        if picked == STATE_WHOLE:
            return picked, prepared
        if picked == STATE_DELTA:
            return picked, delta.prepared
        return picked, None

    async def deliver_state(
        self,
        kind: str,
        version: int,
        text: str,
        *,
        serial: int | None = None,
        delta: StateDelta | None = None,
    ) -> None:
        """Send a `state` frame through the socket's `send_text` (a new subscriber's current state;
        a flush's frame to a socket without a writer of prepared frames) unless this socket already
        has that version or a newer one. A flush passes its `serial` and, when it could, the `delta`
        from the flush before: a socket that takes deltas and got exactly that flush gets the delta
        instead of the whole snapshot."""
        picked = self._state_pick(kind, version, serial, delta)
        if picked == STATE_SUPERSEDED:
            metrics.FRAMES_DROPPED.labels("state", "superseded").inc()
            return
        if picked == STATE_DELTA:
            text = delta.text
            metrics.STATE_DELTAS_SENT.inc()
        await self.socket.send_text(text)

    def _state_pick(self, kind: str, version: int, serial: int | None, delta: StateDelta | None) -> int:
        """Which frame of a state this socket gets, recording what it then holds: none (it has that
        version or a newer one, or it still replays), the delta (it got exactly the delta's base)
        or the whole snapshot."""
        if self.buffer is not None or self.state_versions.get(kind, -1) >= version:
            return STATE_SUPERSEDED
        self.state_versions[kind] = version
        picked = STATE_WHOLE
        if delta is not None and self.deltas and self.state_serials.get(kind) == delta.base:
            picked = STATE_DELTA
        if serial is None:
            self.state_serials.pop(kind, None)
        else:
            self.state_serials[kind] = serial
        return picked


@dataclass(frozen=True)
class StateDelta:
    """A flush's snapshot as a delta on the flush before it (`base`), framed once."""

    base: int
    text: str
    prepared: object


@dataclass(eq=False)
class StateSlot:
    version: int = -1
    text: str | None = None
    sent_at: float = 0.0  # the state tick it last left at (its time on the wall clock)
    flush_pending: bool = False
    serial: int = 0  # flushes so far; the one a socket last got is the base of its next delta
    flushed: dict | None = None  # the data of flush `serial`, kept while a socket takes deltas


@dataclass(eq=False)
class ServedTopic:
    """One topic that at least one local socket follows."""

    topic: str
    subscribers: set[Subscription] = field(default_factory=set)
    last_seq: int = 0
    pending: dict[int, str] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    fill_scheduled: bool = False
    states: dict[str, StateSlot] = field(default_factory=dict)
    # The one database read of the state that the subscribes of this moment share (none cached yet).
    state_loading: asyncio.Task | None = None
    presence: Counter = field(default_factory=Counter)
    presence_dirty: bool = False
    presence_at: float = 0.0
    presence_remote_version: int = 0
    presence_refresh_pending: bool = False
    presence_refreshed_at: float = 0.0


class TopicTable:
    """The topics served in this process, by name. A topic is served while it has subscribers."""

    def __init__(self) -> None:
        self._topics: dict[str, ServedTopic] = {}

    def get(self, topic: str) -> ServedTopic | None:
        return self._topics.get(topic)

    def open(self, topic: str) -> tuple[ServedTopic, bool]:
        """(the served topic, whether it was just created)."""
        served = self._topics.get(topic)
        if served is not None:
            return served, False
        served = self._topics[topic] = ServedTopic(topic)
        metrics.TOPICS_SERVED.inc()
        return served, True

    def close(self, topic: str) -> None:
        if self._topics.pop(topic, None) is not None:
            metrics.TOPICS_SERVED.dec()

    def names(self) -> list[str]:
        return list(self._topics)

    def ready_names(self) -> list[str]:
        return [name for name, served in self._topics.items() if served.ready.is_set()]

    def served(self) -> list[ServedTopic]:
        return list(self._topics.values())

    def __contains__(self, topic: str) -> bool:
        return topic in self._topics

    def __len__(self) -> int:
        return len(self._topics)

    def __iter__(self) -> Iterator[ServedTopic]:
        return iter(self.served())
