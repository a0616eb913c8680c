"""Per-user write rate limit: a token bucket per user, kept in the process that holds the socket."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings

from realtime.errors import AppError

_buckets: dict[object, tuple[float, float]] = {}
_lock = threading.Lock()
# Writes made by the operator (demo data), not by users over a transport, are not limited.
_suspended: ContextVar[bool] = ContextVar("ratelimit_suspended", default=False)


def write_allow(user_key: object) -> None:
    """Take one token from the user's bucket, or raise `rate_limited` with the wait in seconds."""
    if _suspended.get():
        return
    rate = settings.RATE_LIMIT_PER_SECOND
    burst = settings.RATE_LIMIT_BURST
    now = time.monotonic()
    with _lock:
        tokens, stamp = _buckets.get(user_key, (burst, now))
        tokens = min(burst, tokens + (now - stamp) * rate)
        if tokens < 1.0:
            _buckets[user_key] = (tokens, now)
            retry_after = round((1.0 - tokens) / rate, 3)
            raise AppError("rate_limited", "Too many writes; slow down.", retry_after=retry_after)
        _buckets[user_key] = (tokens - 1.0, now)
        if len(_buckets) > 100_000:
            _buckets.clear()


def write_check(user_key: object) -> None:
    """Raise `rate_limited` if the user's bucket is empty now, without taking a token: the socket
    refuses a flood here, on the event loop, before it queues for a database thread (the token
    itself is taken by the write path, realtime.writes)."""
    if _suspended.get():
        return
    rate = settings.RATE_LIMIT_PER_SECOND
    with _lock:
        state = _buckets.get(user_key)
    if state is None:
        return
    tokens, stamp = state
    tokens = min(settings.RATE_LIMIT_BURST, tokens + (time.monotonic() - stamp) * rate)
    if tokens < 1.0:
        raise AppError("rate_limited", "Too many writes; slow down.", retry_after=round((1.0 - tokens) / rate, 3))


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """No limit inside this block (the operator loading demo data through the services)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)
