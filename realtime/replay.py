"""Replay on subscribe, read once for everybody who asks at the same time.

After a server dies, thousands of clients come back to another one within seconds, each
with `since` = the last seq it holds. Read one by one, that is one head query and one range
query per socket. Here the requests for one topic queue while a read is in flight, and
the next read serves all of them at once: one head query and one range query from the
lowest `since`, each socket getting its own slice. A requester has attached its
subscription before asking, so the head read afterwards is never older than what the
subscription buffers (no gap, no duplicate at the seam).
"""

from __future__ import annotations

import asyncio
import bisect
from dataclasses import dataclass, field

from django.conf import settings

from realtime.db import db_call
from realtime.event_log import topic_events_after, topic_head

Frames = list[tuple[int, str]]


def replay_range(topic: str, sinces: list[int | None]) -> tuple[int, Frames]:
    """(head, the frames every replayable `since` of the list needs): one read per topic and range."""
    head = topic_head(topic)
    usable = [s for s in sinces if s is not None and not _beyond(s, head)]
    if not usable or min(usable) >= head:
        return head, []
    return head, topic_events_after(topic, min(usable), up_to=head)


def _beyond(since: int, head: int) -> bool:
    """A `since` ahead of the head, or further back than the replay limit: the client resets."""
    return since > head or head - since > settings.REALTIME_REPLAY_LIMIT


@dataclass
class _Request:
    since: int | None
    future: asyncio.Future = field(repr=False)


class ReplayReads:
    """Per process: at most one replay read in flight per topic; the requests that arrive
    meanwhile share the next one."""

    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.pending: dict[str, list[_Request]] = {}
        self.reading: set[str] = set()
        self.reads = 0
        self.requests = 0

    async def read(self, topic: str, since: int | None) -> tuple[int, Frames, bool]:
        """(head, frames after `since` up to head, reset): what the subscriber is sent."""
        future = self.loop.create_future()
        self.pending.setdefault(topic, []).append(_Request(since, future))
        if topic not in self.reading:
            self.reading.add(topic)
            self.loop.create_task(self._drain(topic))
        return await future

    async def _drain(self, topic: str) -> None:
        try:
            while batch := self.pending.pop(topic, None):
                try:
                    head, frames = await db_call(replay_range, topic, [r.since for r in batch])
                except Exception as exc:
                    for r in batch:
                        if not r.future.done():
                            r.future.set_exception(exc)
                    continue
                self.reads += 1
                self.requests += len(batch)
                for r in batch:
                    if not r.future.done():
                        r.future.set_result(replay_slice(head, frames, r.since))
        finally:
            self.reading.discard(topic)


def replay_slice(head: int, frames: Frames, since: int | None) -> tuple[int, Frames, bool]:
    if since is None:
        return head, [], False
    if _beyond(since, head):
        return head, [], True
    return head, frames[bisect.bisect_right(frames, since, key=lambda f: f[0]) :], False


_reads: ReplayReads | None = None


def replay_reads() -> ReplayReads:
    """The process's replay reader (anew if the event loop changed, as in tests)."""
    global _reads
    if _reads is None or _reads.loop is not asyncio.get_running_loop():
        _reads = ReplayReads()
    return _reads
