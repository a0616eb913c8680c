"""The garbage collector of a server process (realtime/collector.py), in a real server's start-up:
the daphne entry point (config/asgi.py) imported in a fresh interpreter, as daphne does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
import config.asgi
from prometheus_client import REGISTRY
gc.collect()
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "gen0_threshold": gc.get_threshold()[0],
    "full_collections_measured": REGISTRY.get_sample_value("cl_gc_pause_seconds_count", {"generation": "2"}),
}))
"""


def start_server_process(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", SCHEDULER_IN_PROCESS="0", **env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_server_freezes_what_start_up_built_and_measures_every_collection():
    seen = start_server_process(GC_GEN0_THRESHOLD="12345")
    assert seen["frozen"] > 10_000  # Django, the apps, the URL conf: never walked again
    assert seen["gen0_threshold"] == 12345
    assert seen["full_collections_measured"] >= 1  # the probe's own gc.collect(), observed


def test_the_tuning_can_be_turned_off():
    seen = start_server_process(GC_FREEZE="0", GC_GEN0_THRESHOLD="0")
    assert seen["frozen"] == 0
    assert seen["gen0_threshold"] == 700  # Python's own
    assert seen["full_collections_measured"] >= 1  # still measured


async def test_a_blocked_event_loop_is_measured_as_lag():
    """`loop_lag_watch` observes how late the loop woke its timer: a stretch of 60 ms in which the
    loop runs nothing else lands in the histogram's ≥ 50 ms buckets."""
    import asyncio
    import time

    from prometheus_client import REGISTRY

    from realtime.collector import LOOP_LAG_TICK_SECONDS, loop_lag_watch

    def count(bound: str) -> float:
        return REGISTRY.get_sample_value("cl_event_loop_lag_seconds_bucket", {"le": bound}) or 0.0

    def total() -> float:
        return REGISTRY.get_sample_value("cl_event_loop_lag_seconds_count") or 0.0

    before_total, before_fast = total(), count("0.025")
    watch = asyncio.get_running_loop().create_task(loop_lag_watch())
    try:
        await asyncio.sleep(0)  # the watch asks for its first tick
        time.sleep(LOOP_LAG_TICK_SECONDS + 0.06)  # noqa: ASYNC251  the loop held on purpose: the tick comes ≥ 60 ms late
        for _ in range(500):  # until the watch has observed that tick (bounded: 5 s)
            if total() > before_total:
                break
            await asyncio.sleep(0.01)
    finally:
        watch.cancel()
    assert total() == before_total + 1
    assert count("0.025") == before_fast  # not counted as a short lag
