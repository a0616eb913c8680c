"""Periodic jobs (closing proposals on time, purging receipts) from settings.SCHEDULER_JOBS.

Run as `manage.py run_scheduler`, or as a thread of the web process when SCHEDULER_IN_PROCESS
(the single-process default). Each job must be safe to run in several processes at once:
they claim their rows with conditional updates, so every transition happens exactly once.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import cache

from django.conf import settings
from django.db import close_old_connections

from realtime.registry import registered

log = logging.getLogger(__name__)


@cache
def scheduler_jobs() -> list:
    return [registered(path) for path in settings.SCHEDULER_JOBS]


def scheduler_tick() -> None:
    for job in scheduler_jobs():
        try:
            job()
        except Exception:
            log.exception("scheduler job %s failed", getattr(job, "__name__", job))
        finally:
            close_old_connections()


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
