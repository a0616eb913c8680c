"""Periodic jobs (closing proposals on time, purging receipts) from settings.SCHEDULER_JOBS.

Run as `manage.py run_scheduler`, or as a thread of the web process when SCHEDULER_IN_PROCESS
(the single-process default). Each job must be safe to run in several processes at once:
they claim their rows with conditional updates, so every transition happens exactly once.

A job run every tick need not query every tick when it has nothing to do. What it returns says
when it runs next:
- a `datetime`: the moment its next known row comes due (a closing date, a turn's end); it runs
  then, but no later than SCHEDULER_IDLE_INTERVAL from now, to find the rows other processes
  added since;
- a falsy value (None, 0: nothing done, nothing known): again after SCHEDULER_IDLE_INTERVAL;
- anything else (work done, more may wait): at the next tick.
A job with an interval of its own (SCHEDULER_JOB_INTERVALS) never runs more often than that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from realtime import metrics
from realtime.registry import registered

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    function: Callable[[], object]
    every: float  # seconds; 0: every tick
    due: float = 0.0  # monotonic time of the next run


@cache
def scheduler_jobs() -> list[Job]:
    """settings.SCHEDULER_JOBS, each every tick or at its settings.SCHEDULER_JOB_INTERVALS."""
    intervals = settings.SCHEDULER_JOB_INTERVALS
    return [
        Job(name=path.rpartition(":")[2], function=registered(path), every=intervals.get(path, 0.0))
        for path in settings.SCHEDULER_JOBS
    ]


def scheduler_tick() -> None:
    for job in scheduler_jobs():
        now = time.monotonic()
        if now < job.due:
            continue
        if job.due:
            metrics.SCHEDULER_LAG.labels(job.name).observe(now - job.due)
        outcome, result = "ok", True
        try:
            result = job.function()
        except Exception:
            outcome = "failed"
            log.exception("scheduler job %s failed", job.name, extra={"job": job.name})
        finally:
            close_old_connections()
            metrics.SCHEDULER_RUNS.labels(job.name, outcome).inc()
        job.due = now + max(job.every, next_run_delay(result))


def next_run_delay(result: object) -> float:
    """Seconds until a job runs again, from what it returned (see the module's docstring)."""
    tick, idle = settings.SCHEDULER_INTERVAL, max(settings.SCHEDULER_IDLE_INTERVAL, settings.SCHEDULER_INTERVAL)
    if isinstance(result, datetime):
        return min(max((result - timezone.now()).total_seconds(), tick), idle)
    return tick if result else idle


def scheduler_run(*, stop: threading.Event | None = None) -> None:
    interval = settings.SCHEDULER_INTERVAL
    while stop is None or not stop.is_set():
        started = time.monotonic()
        scheduler_tick()
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def scheduler_thread_start() -> threading.Thread:
    thread = threading.Thread(target=scheduler_run, name="scheduler", daemon=True)
    thread.start()
    return thread
