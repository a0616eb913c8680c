"""What one process keeps per topic it serves: subscriptions, ordering state, latest snapshots."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

from realtime.db import db_call

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


# What travels on a topic's Redis channel: a one-letter tag, then fields separated by "|", the
# frame text last (RedisLink._redis_read decodes them).
def event_payload(seq: int, frame: str) -> str:
    return f"E{seq}|{frame}"


def state_payload(kind: str, version: int, frame: str) -> str:
    return f"S{kind}|{version}|{frame}"


def typing_payload(origin: str, frame: str) -> str:
    return f"T{origin}|{frame}"


def presence_payload(version: int) -> str:
    return f"P{version}"


def access_payload() -> str:
    return "A"


class Socket(Protocol):
    """What the hub needs from a connection (the consumer implements it)."""

    socket_id: str

    async def send_text(self, text: str) -> None: ...

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
