"""Replay reads, shared: the sockets that resume one topic at the same time read it together.

After a process dies, thousands of clients come back to the others within seconds, each with
`since` = the last seq it holds. Read socket by socket, that is one head query and one range
query per socket. Here a process keeps, per topic, at most one read in flight; the requests
that arrive meanwhile wait for it to end and are served together by the next one:

- `head(topic)`: one head query for every subscribe that asks at the same time;
- `page(topic, after, up_to)`: one range query, from the lowest `after` of the waiting requests
  up to what the highest needs, each request getting its own slice of at most
  REALTIME_REPLAY_PAGE events. A replay is still sent page by page, each page once the client
  took the previous one (realtime.consumers), so no socket's replay is ever held whole; the
  shared read is bounded by REALTIME_REPLAY_LIMIT + one page (every `after` it serves lies
  within the replay window, and seqs are gapless).

A subscriber attaches to the live stream before it asks for the head, so the head read
afterwards is never older than what its subscription buffers (no gap, no duplicate at the seam).
"""

from __future__ import annotations

import asyncio
import bisect
from dataclasses import dataclass, field

from django.conf import settings

from realtime import metrics
from realtime.db import db_call
from realtime.event_log import topic_events_after, topic_head

Frames = list[tuple[int, str]]


@dataclass
class _Request:
    after: int | None  # None: the head only
    up_to: int
    future: asyncio.Future = field(repr=False)


def _read(topic: str, wanted: list[tuple[int | None, int]]) -> tuple[int | None, Frames]:
    """(head if any request wants it, the frames every page request of the list needs)."""
    head = topic_head(topic) if any(after is None for after, _ in wanted) else None
    pages = [(after, up_to) for after, up_to in wanted if after is not None and up_to > after]
    if not pages:
        return head, []
    low = min(after for after, _ in pages)
    high = min(max(up_to for _, up_to in pages), max(after for after, _ in pages) + settings.REALTIME_REPLAY_PAGE)
    return head, topic_events_after(topic, low, up_to=high, limit=high - low)


class ReplayReads:
    """Per process: at most one replay read in flight per topic; the requests that arrive
    meanwhile share the next one."""

    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.pending: dict[str, list[_Request]] = {}
        self.reading: set[str] = set()
        self.reads = 0
        self.requests = 0

    async def head(self, topic: str) -> int:
        """The topic's head seq, read with whoever else asks now."""
        return await self._ask(topic, None, 0)

    async def page(self, topic: str, after: int, up_to: int) -> Frames:
        """The events after `after` up to `up_to`: at most REALTIME_REPLAY_PAGE, in seq order."""
        return await self._ask(topic, after, up_to)

    async def _ask(self, topic: str, after: int | None, up_to: int):
        future = self.loop.create_future()
        self.pending.setdefault(topic, []).append(_Request(after, up_to, future))
        if topic not in self.reading:
            self.reading.add(topic)
            self.loop.create_task(self._drain(topic))
        return await future

    async def _drain(self, topic: str) -> None:
        try:
            while batch := self.pending.pop(topic, None):
                try:
                    head, frames = await db_call(_read, topic, [(r.after, r.up_to) for r in batch])
                except Exception as exc:
                    for r in batch:
                        if not r.future.done():
                            r.future.set_exception(exc)
                    continue
                self.reads += 1
                self.requests += len(batch)
                metrics.REPLAY_READS.inc()
                metrics.REPLAY_READ_REQUESTS.inc(len(batch))
                for r in batch:
                    if not r.future.done():
                        r.future.set_result(head if r.after is None else _slice(frames, r.after, r.up_to))
        finally:
            self.reading.discard(topic)


def _slice(frames: Frames, after: int, up_to: int) -> Frames:
    start = bisect.bisect_right(frames, after, key=lambda f: f[0])
    end = bisect.bisect_right(frames, up_to, key=lambda f: f[0])
    return frames[start : min(end, start + settings.REALTIME_REPLAY_PAGE)]


_reads: ReplayReads | None = None


def replay_reads() -> ReplayReads:
    """The process's replay reader (anew if the event loop changed, as in tests)."""
    global _reads
    if _reads is None or _reads.loop is not asyncio.get_running_loop():
        _reads = ReplayReads()
    return _reads
