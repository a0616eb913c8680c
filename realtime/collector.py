"""The health of a server process: its garbage collector (start-up objects frozen, young
collections rarer, every pause measured: `cl_gc_pause_seconds{generation}`) and its event loop's
lag (`cl_event_loop_lag_seconds`, `loop_lag_watch`).

CPython's cycle collector stops the process while it runs, event loop included: no socket is
read or written and no `ok` leaves until it is done. A full collection (generation 2) walks every
object the process holds: Django's apps and URL conf, pydantic's schemas, each socket's protocol,
consumer and subscriptions. In `bench.debate` (1,000 sockets per process) full collections came
six or seven times a minute per process and took 150–570 ms each (wall time on a busy machine):
the longest stalls of every socket of the process. So, once the application is imported
(`gc_tune`, called by the daphne entry point, config/asgi.py):

- what start-up built is collected once and frozen (`gc.freeze`): it lives as long as the process,
  and no collection walks it again (~150,000 objects);
- the youngest generation is collected every GC_GEN0_THRESHOLD allocations instead of every 700:
  a frame's short-lived objects die by reference counting before a collection sees them, so fewer
  survive into older generations, whose growth is what triggers full collections (same bench: one
  full collection per process per run instead of six or seven).

Reference counting frees almost everything either way; only reference cycles wait for the
collector, and those it still collects (objects created after start-up are never frozen).
"""

from __future__ import annotations

import asyncio
import gc
import time

from django.conf import settings
from django.urls import get_resolver

from realtime import metrics

_PAUSES = [metrics.GC_PAUSE.labels(str(generation)) for generation in range(3)]
_started = 0.0


def _measure(phase: str, info: dict) -> None:
    global _started
    if phase == "start":
        _started = time.perf_counter()
    else:
        _PAUSES[info["generation"]].observe(time.perf_counter() - _started)


def gc_tune() -> None:
    """Freeze what start-up built, collect the youngest generation less often, measure every pause.
    Once per server process, after the application is imported."""
    if _measure in gc.callbacks:
        return
    get_resolver().url_patterns  # noqa: B018  the views (imported on the first request otherwise)
    if settings.GC_FREEZE:
        gc.collect()
        gc.freeze()
    if settings.GC_GEN0_THRESHOLD:
        gc.set_threshold(settings.GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])
    gc.callbacks.append(_measure)


LOOP_LAG_TICK_SECONDS = 0.1


async def loop_lag_watch() -> None:
    """Measure, every LOOP_LAG_TICK_SECONDS, how much later than asked the event loop woke this
    task: the time a ready callback waits behind the others (a fan-out, a burst of commands, a
    collection). Every socket of the process shares that wait; it is what a busy process adds to
    every frame's latency. Runs for the life of the hub (realtime.fanout)."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(LOOP_LAG_TICK_SECONDS)
        metrics.LOOP_LAG.observe(max(0.0, time.perf_counter() - asked - LOOP_LAG_TICK_SECONDS))
