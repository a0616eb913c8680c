"""`db_thread`: `asyncio.to_thread` for an async test's database setup and checks.

A thread of asyncio's default executor keeps the connection Django opened for it (connections
are per thread) until the thread ends, after the test: on PostgreSQL the test database cannot be
dropped then ("being accessed by other users"). This closes it when the call returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from django.db import connection


async def db_thread(function: Callable, *args, **kwargs) -> Any:
    def run() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return await asyncio.to_thread(run)
