"""The project's own settings, plus one bench-only change: a Redis prefix unique to the run.

Redis pub/sub channels ignore DB numbers, so without a prefix of its own a bench run would
share ``cl:room:1`` with any test suite using the same Redis. Everything else is
config.settings, driven by the same environment variables.
"""

import os

from config.settings import *  # noqa: F401,F403

REDIS_PREFIX = os.environ.get("BENCH_REDIS_PREFIX", "clbench")
