"""How the event loop runs database work: `await db_call(function, *args, **kwargs)`.

Channels' `database_sync_to_async` runs every call of the process on one thread. That suits
SQLite (one writer at a time anyway), but on PostgreSQL it makes one slow transaction hold up
every socket of the process; there, calls run on a small pool of threads, each with its own
connection, and the row locks in the services keep concurrent writes correct.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection

from realtime import metrics

_pool: ThreadPoolExecutor | None = None


def _after_wait(queued_at: float, function: Callable, args: tuple, kwargs: dict) -> Any:
    metrics.DB_POOL_WAIT.observe(time.perf_counter() - queued_at)
    return function(*args, **kwargs)


def _in_fresh_connection(function: Callable, args: tuple, kwargs: dict, queued_at: float) -> Any:
    metrics.DB_POOL_WAIT.observe(time.perf_counter() - queued_at)
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()


async def db_call(function: Callable, *args, **kwargs) -> Any:
    global _pool
    threads = settings.DB_THREADS
    if connection.vendor == "sqlite" or threads <= 1:
        return await database_sync_to_async(_after_wait)(time.perf_counter(), function, args, kwargs)
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")
    loop = asyncio.get_running_loop()
    call = functools.partial(_in_fresh_connection, function, args, kwargs, time.perf_counter())
    return await loop.run_in_executor(_pool, call)
