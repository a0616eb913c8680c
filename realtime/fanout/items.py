"""What the hub's dispatcher receives: one small frozen type per kind of work.

Items come from publishers (any thread, through `call_soon_threadsafe`), from the Redis reader
and from the hub's own timers; they all go through one queue so a topic's frames leave in order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventArrived:
    """A committed event of `topic`, serialised once."""

    topic: str
    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class StateArrived:
    """A `state` snapshot (tally, attendance, presence): latest `version` wins."""

    topic: str
    kind: str
    version: int
    text: str


@dataclass(frozen=True, slots=True)
class TypingArrived:
    """An ephemeral typing frame; `origin` is the socket that typed (it does not get its own)."""

    topic: str
    origin: str
    text: str


@dataclass(frozen=True, slots=True)
class PresenceAnnounced:
    """Some process changed its share of the topic's presence hash in Redis."""

    topic: str
    version: int


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """Who may read `topic` changed (committed): every local subscription is authorised again."""

    topic: str


@dataclass(frozen=True, slots=True)
class StateDirty:
    """A write committed in this process changed `topic`'s snapshot: recompute it, coalesced."""

    topic: str


@dataclass(frozen=True, slots=True)
class StateTickDue:
    """A state tick (`tick` × REALTIME_STATE_INTERVAL on the wall clock) has come: send the
    newest snapshot of every topic and kind that changed since its last tick, together."""

    tick: int


@dataclass(frozen=True, slots=True)
class PresenceFlushDue:
    """Local joins or leaves are due to be announced."""

    topic: str


@dataclass(frozen=True, slots=True)
class PresenceRefreshDue:
    """Re-read every process's presence share of `topic` (coalesced after announcements)."""

    topic: str


@dataclass(frozen=True, slots=True)
class DrainDue:
    """Events were buffered while the topic opened: hand over those now in order."""

    topic: str


@dataclass(frozen=True, slots=True)
class FillDue:
    """Read missing events from the database, up to `up_to` (or to the first buffered one)."""

    topic: str
    up_to: int | None = None


Inbound = (
    EventArrived
    | StateArrived
    | TypingArrived
    | PresenceAnnounced
    | AccessChanged
    | StateDirty
    | StateTickDue
    | PresenceFlushDue
    | PresenceRefreshDue
    | DrainDue
    | FillDue
)
