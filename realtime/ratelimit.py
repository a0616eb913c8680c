"""Rate limits shared by every process: token buckets (writes, typing, sign-in and registration
per address) and a failure back-off (sign-in per account).

With REDIS_URL each check is one Lua script run atomically by Redis on Redis's own clock, so two
processes cannot both spend the last token; without it (one process) the same arithmetic runs
under a lock in memory. Socket counts (per address, per user) are per process: see `SocketSlots`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache

import redis
import redis.asyncio
from django.conf import settings

from realtime import metrics
from realtime.errors import AppError

log = logging.getLogger(__name__)

KEY_PREFIX = "cl:rl:"

# KEYS[1] bucket; ARGV rate, burst, cost. Returns the wait before `cost` tokens exist ("0": taken).
BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(v[1]), tonumber(v[2])
if tokens == nil then tokens, stamp = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""

# KEYS buckets (a key may repeat: taken in turn); ARGV rate, burst, cost. Takes `cost` from each
# (or gives -cost back, up to the burst, when cost < 0) and returns each one's wait, as BUCKET_LUA.
BUCKETS_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local waits = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'tokens', 'stamp')
  local tokens, stamp = tonumber(v[1]), tonumber(v[2])
  if tokens == nil then tokens, stamp = burst, now end
  tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
  local wait = 0
  if cost < 0 then tokens = math.min(burst, tokens - cost)
  elseif tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'stamp', tostring(now))
  redis.call('EXPIRE', key, math.ceil(burst / rate) + 60)
  waits[i] = tostring(wait)
end
return waits
"""

# KEYS[1] failures; ARGV mode (check|fail|reset), free failures, cap seconds, window seconds.
# After `free` failures each further one doubles the wait (1 s, 2 s, 4 s …, at most `cap`).
BACKOFF_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mode, free, cap, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if mode == 'reset' then redis.call('DEL', KEYS[1]) return '0' end
local v = redis.call('HMGET', KEYS[1], 'n', 'last')
local n, last = tonumber(v[1]) or 0, tonumber(v[2]) or 0
if mode == 'fail' then
  n = n + 1
  last = now
  redis.call('HSET', KEYS[1], 'n', n, 'last', tostring(now))
  redis.call('EXPIRE', KEYS[1], window)
end
if n >= free then
  local wait = math.min(2 ^ (n - free), cap) - (now - last)
  if wait > 0 then return tostring(wait) end
end
return '0'
"""


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


_async_clients: dict[int, redis.asyncio.Redis] = {}


def _redis_async() -> redis.asyncio.Redis:
    loop = asyncio.get_running_loop()
    client = _async_clients.get(id(loop))
    if client is None:
        _async_clients.clear()  # one event loop per process outside tests
        client = _async_clients[id(loop)] = redis.asyncio.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return client


# --- in memory, when there is no Redis -----------------------------------------------------------

_buckets: dict[str, tuple[float, float]] = {}
_backoffs: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()
# Writes made by the operator (demo data), not by users over a transport, are not limited.
_suspended: ContextVar[bool] = ContextVar("ratelimit_suspended", default=False)


def _bucket_local(key: str, rate: float, burst: float, cost: float) -> float:
    now = time.monotonic()
    with _lock:
        tokens, stamp = _buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - stamp) * rate)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / rate
        _buckets[key] = (tokens, now)
        if len(_buckets) > 100_000:
            _buckets.clear()
    return wait


def _backoff_local(key: str, mode: str, free: int, cap: float, window: float) -> float:
    now = time.monotonic()
    with _lock:
        if mode == "reset":
            _backoffs.pop(key, None)
            return 0.0
        n, last = _backoffs.get(key, (0, 0.0))
        if n and now - last > window:
            n = 0
        if mode == "fail":
            n, last = n + 1, now
            _backoffs[key] = (n, last)
        if n >= free:
            return max(0.0, min(2 ** (n - free), cap) - (now - last))
    return 0.0


# --- the checks ------------------------------------------------------------------------------------


# While Redis is unreachable (a restart, say) each process limits on its own rather than
# refusing every write: the limits loosen to one bucket per process for that time.
REDIS_DOWN = (redis.RedisError, OSError)


def _redis_failed() -> None:
    log.warning("rate limits: Redis unreachable, limiting in this process meanwhile", exc_info=True)


def bucket_wait(key: str, *, rate: float, burst: float, cost: float = 1.0) -> float:
    """Take `cost` tokens from bucket `key`; 0 when taken, else the seconds to wait."""
    if settings.REDIS_URL:
        try:
            return float(_redis().eval(BUCKET_LUA, 1, KEY_PREFIX + key, rate, burst, cost))
        except REDIS_DOWN:
            _redis_failed()
    return _bucket_local(key, rate, burst, cost)


async def bucket_wait_async(key: str, *, rate: float, burst: float, cost: float = 1.0) -> float:
    if settings.REDIS_URL:
        try:
            return float(await _redis_async().eval(BUCKET_LUA, 1, KEY_PREFIX + key, rate, burst, cost))
        except REDIS_DOWN:
            _redis_failed()
    return _bucket_local(key, rate, burst, cost)


def backoff_wait(key: str, mode: str = "check") -> float:
    """Sign-in failures of `key`: `check` (seconds still to wait), `fail` (record one), `reset`."""
    free, cap, window = settings.LOGIN_FREE_FAILURES, settings.LOGIN_BACKOFF_MAX, 3600
    if settings.REDIS_URL:
        try:
            return float(_redis().eval(BACKOFF_LUA, 1, KEY_PREFIX + key, mode, free, cap, window))
        except REDIS_DOWN:
            _redis_failed()
    return _backoff_local(key, mode, free, cap, window)


def _refuse(wait: float, message: str) -> None:
    if wait > 0:
        metrics.RATE_LIMITED.inc()
        raise AppError("rate_limited", message, retry_after=round(wait, 3))


def write_allow(user_key: object) -> None:
    """Take one write from the user's bucket (all processes), or raise `rate_limited`; called by
    the write path (realtime.writes)."""
    if _suspended.get():
        return
    wait = bucket_wait(f"write:{user_key}", rate=settings.RATE_LIMIT_PER_SECOND, burst=settings.RATE_LIMIT_BURST)
    _refuse(wait, "Too many writes; slow down.")


def write_refuse(wait: float) -> None:
    """Raise `rate_limited` for a write whose token was asked for beforehand (`write_take_many`)
    and came back with `wait` seconds to wait; nothing when it was taken (0)."""
    _refuse(wait, "Too many writes; slow down.")


def write_take_many(user_keys: list[object]) -> list[float] | None:
    """One token from each user's write bucket, in order (a user twice takes two), all processes,
    in ONE atomic Redis call: a group-commit batch asks for its writes' tokens together, on the
    database thread just before it takes the database, instead of one round trip per write
    inside its transaction. Blocking, not awaited on the event loop: under load each turn of a
    busy loop (a debate's fan-outs) cost the batch tens of milliseconds before it could start.
    The waits, as `bucket_wait`'s; None without Redis or while it is unreachable (each write
    then takes its own, `write_allow`)."""
    if not settings.REDIS_URL or not user_keys:
        return None
    try:
        waits = _redis().eval(*_buckets_args([f"write:{key}" for key in user_keys], cost=1.0))
    except REDIS_DOWN:
        _redis_failed()
        return None
    return [float(wait) for wait in waits]


async def write_give_back(user_keys: list[object]) -> None:
    """Return tokens `write_take_many` took for writes that did not run (or run again later)."""
    if settings.REDIS_URL and user_keys:
        await _buckets_eval([f"write:{key}" for key in user_keys], cost=-1.0)


def _buckets_args(keys: list[str], *, cost: float) -> tuple:
    """The arguments of `eval` for BUCKETS_LUA over the write buckets `keys` (sync or async client)."""
    rate, burst = settings.RATE_LIMIT_PER_SECOND, settings.RATE_LIMIT_BURST
    return (BUCKETS_LUA, len(keys), *[KEY_PREFIX + k for k in keys], rate, burst, cost)


async def _buckets_eval(keys: list[str], *, cost: float) -> list[float] | None:
    try:
        waits = await _redis_async().eval(*_buckets_args(keys, cost=cost))
    except REDIS_DOWN:
        _redis_failed()
        return None
    return [float(wait) for wait in waits]


def write_check(user_key: object) -> None:
    """Raise `rate_limited` if the user's bucket is empty now, without taking a token: the socket
    refuses a flood here, on the event loop, before it queues for a database thread. Only the
    in-memory bucket is peeked; with Redis the write path's atomic take decides alone."""
    if _suspended.get() or settings.REDIS_URL:
        return
    rate = settings.RATE_LIMIT_PER_SECOND
    with _lock:
        state = _buckets.get(f"write:{user_key}")
    if state is None:
        return
    tokens, stamp = state
    tokens = min(settings.RATE_LIMIT_BURST, tokens + (time.monotonic() - stamp) * rate)
    if tokens < 1.0:
        metrics.RATE_LIMITED.inc()
        raise AppError("rate_limited", "Too many writes; slow down.", retry_after=round((1.0 - tokens) / rate, 3))


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """No limit inside this block (the operator loading demo data through the services)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


async def typing_allow(user_key: object, topic: str) -> bool:
    """One `typing` per user and topic per TYPING_INTERVAL, whatever the sockets and processes."""
    interval = settings.TYPING_INTERVAL
    return await bucket_wait_async(f"typing:{user_key}:{topic}", rate=1.0 / interval, burst=1.0) == 0


# --- sockets per address and per user (this process) -----------------------------------------------


class SocketSlots:
    """Open sockets counted per client address and per user in this process."""

    def __init__(self) -> None:
        self.open: dict[str, set[str]] = defaultdict(set)

    def take(self, socket_id: str, keys: dict[str, int]) -> str | None:
        """Count the socket under each key (`ip:…` → limit); the first key over its limit, or None."""
        for key, limit in keys.items():
            if len(self.open[key]) >= limit:
                return key
        for key in keys:
            self.open[key].add(socket_id)
        return None

    def release(self, socket_id: str, keys) -> None:
        for key in keys:
            members = self.open.get(key)
            if members is not None:
                members.discard(socket_id)
                if not members:
                    del self.open[key]


socket_slots = SocketSlots()
