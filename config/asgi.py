"""Server entry point (daphne config.asgi:application): the app, plus the process's own services.

Tests import config.routing instead, so they never start a scheduler of their own.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from config.routing import application  # noqa: E402, F401
from realtime import daphne_protocol  # noqa: E402
from realtime.collector import gc_tune  # noqa: E402
from realtime.registry import registries_load  # noqa: E402

# daphne builds our protocol subclass: bounded outbound bytes, 4009 / 4008 / 4012 closes.
daphne_protocol.install()
# Every registry's modules imported now, not by the process's first socket write.
registries_load()
# Start-up objects frozen, fewer garbage collections, each pause measured (realtime/collector.py).
gc_tune()

if settings.SCHEDULER_IN_PROCESS:
    # Single-process mode: close proposals on time without a separate scheduler process.
    from realtime.scheduler import scheduler_thread_start

    scheduler_thread_start()
