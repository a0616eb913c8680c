"""Reads that many sockets need at the same moment, made together: per reader and process, at
most one read in flight; the keys asked meanwhile wait for it and are read together by the next.

After a process dies, thousands of clients come back to the others within a second or two
(issue 17, S8). Each handshake needs its token looked up; read one by one, that is thousands
of round trips queued on the database threads. Past daphne's handshake timeout (5 s) the
handshakes are refused, the clients try again, and the queue, which still holds the reads of
the handshakes given up, only grows: 14 of 3,000 clients got back. Read together, a storm
costs a few queries of up to `max_batch` keys each, and a key whose asker has gone (its
handshake timed out, its task was cancelled) is not read at all.

`read_many({key: item}) -> {key: value}` runs in a database thread (`db_call`); `item` is what
the first asker of the key gave (a token, a topic and its reader); a key left out of the answer
gets `missing`. An exception from it is every waiter's exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any

from realtime import metrics
from realtime.db import db_call


class SharedReads:
    """One reader (a function of many keys), shared by the coroutines of one event loop."""

    def __init__(self, name: str, read_many: Callable[[dict], dict], *, max_batch: int = 500, missing: Any = None):
        self.name = name  # the `reader` label of cl_shared_reads
        self.read_many = read_many
        self.max_batch = max_batch
        self.missing = missing
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: dict[Hashable, tuple[Any, list[asyncio.Future]]] = {}
        self.reading = False
        self.reads = 0  # how many reads ran (tests and metrics compare it with the keys asked)
        self.keys_read = 0

    async def get(self, key: Hashable, item: Any = None) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (tests): nothing pending belongs to it
            self.loop, self.pending, self.reading = loop, {}, False
        future = loop.create_future()
        self.pending.setdefault(key, (item, []))[1].append(future)
        if not self.reading:
            self.reading = True
            loop.create_task(self._drain())
        return await future

    def _take(self) -> dict[Hashable, tuple[Any, list[asyncio.Future]]]:
        """Up to max_batch keys whose askers still wait (a cancelled asker's key is dropped)."""
        batch: dict[Hashable, tuple[Any, list[asyncio.Future]]] = {}
        for key in list(self.pending):
            if len(batch) >= self.max_batch:
                break
            item, futures = self.pending.pop(key)
            waiting = [f for f in futures if not f.done()]
            if waiting:
                batch[key] = (item, waiting)
        return batch

    async def _drain(self) -> None:
        try:
            while batch := self._take():
                try:
                    found = await db_call(self.read_many, {key: item for key, (item, _) in batch.items()})
                except Exception as exc:
                    for _, futures in batch.values():
                        for f in futures:
                            if not f.done():
                                f.set_exception(exc)
                    continue
                self.reads += 1
                self.keys_read += len(batch)
                metrics.SHARED_READS.labels(self.name).inc()
                metrics.SHARED_READ_KEYS.labels(self.name).inc(len(batch))
                for key, (_, futures) in batch.items():
                    value = found.get(key, self.missing)
                    for f in futures:
                        if not f.done():
                            f.set_result(value)
        finally:
            self.reading = False
