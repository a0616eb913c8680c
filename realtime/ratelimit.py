"""Per-user write rate limit: a token bucket per user, kept in the process that holds the socket."""

from __future__ import annotations

import threading
import time

from django.conf import settings

from realtime import metrics
from realtime.errors import AppError

_buckets: dict[object, tuple[float, float]] = {}
_lock = threading.Lock()


def write_allow(user_key: object) -> None:
    """Take one token from the user's bucket, or raise `rate_limited` with the wait in seconds."""
    rate = settings.RATE_LIMIT_PER_SECOND
    burst = settings.RATE_LIMIT_BURST
    now = time.monotonic()
    with _lock:
        tokens, stamp = _buckets.get(user_key, (burst, now))
        tokens = min(burst, tokens + (now - stamp) * rate)
        if tokens < 1.0:
            _buckets[user_key] = (tokens, now)
            retry_after = round((1.0 - tokens) / rate, 3)
            metrics.RATE_LIMITED.inc()
            raise AppError("rate_limited", "Too many writes; slow down.", retry_after=retry_after)
        _buckets[user_key] = (tokens - 1.0, now)
        if len(_buckets) > 100_000:
            _buckets.clear()
