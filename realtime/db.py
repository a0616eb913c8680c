"""How the event loop runs database work: `await db_call(function, *args, **kwargs)`.

Channels' `database_sync_to_async` runs every call of the process on one thread. That suits
SQLite (one writer at a time anyway), but on PostgreSQL it makes one slow transaction hold up
every socket of the process; there, calls run on a small pool of threads, each with its own
connection, and the row locks in the services keep concurrent writes correct. On SQLite the
`state` snapshots, which write nothing, run on a second thread with its own connection
(`db_read`): WAL lets it read while the writer writes, so writes do not queue behind them.

A slow database must not freeze the process (SECURITY.md, "A slow database"):
- PostgreSQL connections carry `statement_timeout` and `lock_timeout` (config/settings.py),
  so no call holds a thread for longer than that;
- a call waits at most DB_WAIT_SECONDS for a free thread, and the writes of one topic take at
  most DB_THREADS_PER_TOPIC threads at once (`db_call_for_topic`, queueing at most
  DB_TOPIC_WAIT_SECONDS): a row lock held on one topic queues that topic's writers, never the
  rest of the process;
- both limits, and a timeout inside the database, answer `rate_limited` with `retry_after`
  instead of leaving the client without an answer.

SQLite has one writer for the whole file. A transaction that finds the write lock taken (by
another process) waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ms … and
tries again: it wakes late, and meanwhile the process that held the lock may take it again. The
group commit's batches take turns through `sqlite_writer_turn` instead: an exclusive `flock` on a
file beside the database, held around the transaction. A waiter tries it again every 0.1 ms at
first, then at most every WRITER_TURN_POLL_MAX seconds (each wait releases the GIL), so it takes
the turn within about a millisecond of its release; after the database's own busy timeout it goes
on without it (a process stopped while holding the turn holds SQLite's lock too: SQLite's timeout
then answers, as before). The flock only orders writers that take it; SQLite's own lock still
guards the data, so a writer that does not (a management command, an HTTP write outside a batch)
is as safe as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection

from realtime import metrics
from realtime.errors import AppError

log = logging.getLogger(__name__)

# SQLSTATEs of PostgreSQL's lock_timeout (lock_not_available) and statement_timeout (query_canceled).
TIMEOUT_SQLSTATES = {"55P03", "57014"}
RETRY_AFTER_SECONDS = 1.0

_pool: ThreadPoolExecutor | None = None


def _after_wait(queued_at: float, function: Callable, args: tuple, kwargs: dict) -> Any:
    metrics.DB_POOL_WAIT.observe(time.perf_counter() - queued_at)
    return function(*args, **kwargs)


class _Gates:
    """Per event loop: free pool threads, and threads taken per topic."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.threads = asyncio.Semaphore(settings.DB_THREADS)
        self.topics: dict[str, asyncio.Semaphore] = {}
        self.topic_users: dict[str, int] = {}


_gates: _Gates | None = None


def _gates_here() -> _Gates:
    global _gates
    loop = asyncio.get_running_loop()
    if _gates is None or _gates.loop is not loop:
        _gates = _Gates(loop)
    return _gates


def database_timeout_error(exc: BaseException) -> AppError | None:
    """The protocol answer for a lock or statement timeout, or None for any other database error."""
    cause = exc.__cause__ if isinstance(exc, OperationalError) else None
    if getattr(cause, "sqlstate", None) in TIMEOUT_SQLSTATES:
        return AppError("rate_limited", "the database is busy here; try again", retry_after=RETRY_AFTER_SECONDS)
    return None


def _busy() -> AppError:
    return AppError("rate_limited", "the server is busy; try again", retry_after=RETRY_AFTER_SECONDS)


def _in_fresh_connection(function: Callable, args: tuple, kwargs: dict, queued_at: float) -> Any:
    metrics.DB_POOL_WAIT.observe(time.perf_counter() - queued_at)
    close_old_connections()
    try:
        return function(*args, **kwargs)
    except OperationalError as exc:
        answer = database_timeout_error(exc)
        if answer is None:
            raise
        log.warning("database timeout in %s: %s", getattr(function, "__name__", function), exc.__cause__)
        raise answer from exc
    finally:
        close_old_connections()


async def _acquire(semaphore: asyncio.Semaphore, seconds: float) -> None:
    try:
        await asyncio.wait_for(semaphore.acquire(), seconds)
    except TimeoutError:
        raise _busy() from None


def single_database_thread() -> bool:
    """Whether every database call of the process runs on one thread (SQLite, or DB_THREADS 1)."""
    return connection.vendor == "sqlite" or settings.DB_THREADS <= 1


async def db_call(function: Callable, *args, **kwargs) -> Any:
    global _pool
    if single_database_thread():
        return await database_sync_to_async(_after_wait)(time.perf_counter(), function, args, kwargs)
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=settings.DB_THREADS, thread_name_prefix="db")
    gates = _gates_here()
    queued_at = time.perf_counter()
    await _acquire(gates.threads, settings.DB_WAIT_SECONDS)
    call = functools.partial(_in_fresh_connection, function, args, kwargs, queued_at)
    future = gates.loop.run_in_executor(_pool, call)
    # Released when the thread is done, not when the caller stops waiting: the count stays true.
    future.add_done_callback(lambda _: gates.threads.release())
    return await future


_reader: ThreadPoolExecutor | None = None


async def db_read(function: Callable, *args, **kwargs) -> Any:
    """`db_call` for a read that writes nothing (a `state` snapshot). On SQLite it runs on its own
    thread and connection: WAL lets it read while the writer writes, so the process's writes (a
    chat post) do not queue behind the snapshots a debate recomputes four times a second."""
    global _reader
    if connection.vendor != "sqlite":
        return await db_call(function, *args, **kwargs)
    if _reader is None:
        _reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-read")
    call = functools.partial(_in_fresh_connection, function, args, kwargs, time.perf_counter())
    return await asyncio.get_running_loop().run_in_executor(_reader, call)


async def db_call_for_topic(topic: str, function: Callable, *args, **kwargs) -> Any:
    """`db_call` for a write to `topic`: at most DB_THREADS_PER_TOPIC of them run at once."""
    if single_database_thread():
        return await db_call(function, *args, **kwargs)
    gates = _gates_here()
    semaphore = gates.topics.setdefault(topic, asyncio.Semaphore(settings.DB_THREADS_PER_TOPIC))
    gates.topic_users[topic] = gates.topic_users.get(topic, 0) + 1
    try:
        # A hot topic's writers legitimately queue (its row lock serialises them anyway): longer.
        await _acquire(semaphore, settings.DB_TOPIC_WAIT_SECONDS)
        try:
            return await db_call(function, *args, **kwargs)
        finally:
            semaphore.release()
    finally:
        gates.topic_users[topic] -= 1
        if not gates.topic_users[topic]:
            del gates.topic_users[topic], gates.topics[topic]


_writer_locks = threading.local()


def sqlite_writer_lock_path() -> str | None:
    """The file whose flock orders the SQLite writers of every process, or None (PostgreSQL, an
    in-memory database, the turn turned off)."""
    if connection.vendor != "sqlite" or not settings.REALTIME_SQLITE_WRITER_TURN or connection.is_in_memory_db():
        return None
    return str(connection.settings_dict["NAME"]) + ".writer-lock"


@contextlib.contextmanager
def sqlite_writer_turn() -> Iterator[None]:
    """Hold the SQLite writers' turn (see the module docstring) for the transaction inside."""
    path = sqlite_writer_lock_path()
    if path is None:
        yield
        return
    fds = getattr(_writer_locks, "fds", None)
    if fds is None:
        fds = _writer_locks.fds = {}
    fd = fds.get(path)
    if fd is None:
        fd = fds[path] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    held = _writer_turn_take(fd, float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)))
    try:
        yield
    finally:
        if held:
            fcntl.flock(fd, fcntl.LOCK_UN)


WRITER_TURN_POLL_MAX = 0.001


def _writer_turn_take(fd: int, timeout: float) -> bool:
    """Take the exclusive flock, polling (0.1 ms, doubling up to WRITER_TURN_POLL_MAX); False if it
    was still held after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = 0.0001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                log.warning("the SQLite writer turn was held for %.0f s: writing without it", timeout)
                return False
            time.sleep(pause)
            pause = min(pause * 2, WRITER_TURN_POLL_MAX)
