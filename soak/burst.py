"""Stalled subscribers during a burst (issue #9, finding 1): a benchmark scenario, not a test.

One daphne process, one room, HEALTHY watchers timing every delivery. A burst of BURST posts
runs twice: first alone (reference), then with STALLED subscribers that subscribed and stopped
reading. Reported: the server's RSS before and its peak during each burst (sampled every
0.2 s), the watchers' p99 delivery latency, and how the stalled sockets were closed.
Goals: RSS raised by at most 50 MiB over the baseline; healthy p99 moved by less than 20 %.
The same shape as bench S9 (`python -m bench --scenarios 9`): the server's settings and the
stalled clients' receive buffer come from bench/scenarios/resilience.py.

    python -m soak --burst            # artifacts/soak/burst.json
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from pathlib import Path

from bench.scenarios.resilience import (
    STALLED_CLOSE_WAIT_S,
    STALLED_RECEIVE_BUFFER,
    STALLED_SERVER_ENV,
    slow_consumer_closes,
)
from soak.run import Client, Stats, rss_mib
from tests.live import LiveStack

BURST, HEALTHY, STALLED, POSTERS = 10_000, 10, 50, 8
OUT = Path(__file__).resolve().parent.parent / "artifacts" / "soak"


def slow_closes(stack: LiveStack) -> int:
    with stack.http(0) as http:
        return slow_consumer_closes(http.get("/metrics").text)


async def burst_once(stack: LiveStack, topic: str, tokens: list[str], stalled: int) -> dict:
    stats = Stats()
    watchers = [Client(stack, 0, tokens[i], stats, check_topics=[topic], measure=True) for i in range(HEALTHY)]
    for watcher in watchers:
        await watcher.open()
        await watcher.subscribe(topic)
    stuck = [Client(stack, 0, tokens[HEALTHY + i], stats) for i in range(stalled)]
    for client in stuck:
        await client.open(receive_buffer=STALLED_RECEIVE_BUFFER)
        await client.subscribe(topic)
        client.proto.transport.pause_reading()
    closes_before = slow_closes(stack)
    baseline = rss_mib(stack)[0]
    peak = baseline
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib(stack)[0])
            await asyncio.sleep(0.2)

    posters = [Client(stack, 0, tokens[HEALTHY + STALLED + i], stats) for i in range(POSTERS)]
    for poster in posters:
        await poster.open()
    sampler = asyncio.ensure_future(sample())
    started = time.monotonic()

    seqs = []

    async def post_share(poster: Client, count: int) -> None:
        for _ in range(count):
            reply = await poster.request({"type": "post", "topic": topic, "body": f"t={time.time():.6f} " + "x" * 300})
            if reply["type"] == "ok":
                seqs.append(reply["data"]["seq"])

    await asyncio.gather(*(post_share(p, BURST // POSTERS) for p in posters))
    head = max(seqs)
    while min(w.last_seq.get(topic, 0) for w in watchers) < head:
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    done.set()
    await sampler
    for client in stuck:
        client.proto.transport.resume_reading()
    closes = []
    for client in stuck:
        try:
            closes.append(await asyncio.wait_for(client.proto.closed, STALLED_CLOSE_WAIT_S))
        except TimeoutError:
            closes.append("still open")  # never cut: its queue never reached the bound
            client.close()
    for client in watchers + posters:
        client.close()
    latencies = sorted(stats.latencies)
    return {
        "stalled": stalled,
        "posts": stats.ok["post"],
        "seconds": round(elapsed, 1),
        "rss_baseline_mib": round(baseline, 1),
        "rss_peak_mib": round(peak, 1),
        "rss_after_mib": round(rss_mib(stack)[0], 1),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "stalled_close_codes": {str(code): closes.count(code) for code in set(closes)},
        "server_4008_closes": slow_closes(stack) - closes_before,
        "problems": stats.problems[:10],
    }


async def burst() -> int:
    # The stalled-readers shape of bench S9 (bench/scenarios/resilience.py says why).
    env = {"LOG_LEVEL": "WARNING", **STALLED_SERVER_ENV}
    stack = LiveStack(env=env)
    try:
        users = stack.create_users(HEALTHY + STALLED + POSTERS, prefix="burst")
        tokens = [token for _, token in users]
        with stack.http(0, tokens[0]) as http:
            topic = http.post("/api/rooms", json={"name": "Rafale", "visibility": "public"}).json()["topic"]
        random.seed(1)
        reference = await burst_once(stack, topic, tokens, stalled=0)
        print(json.dumps(reference), flush=True)
        loaded = await burst_once(stack, topic, tokens, stalled=STALLED)
        print(json.dumps(loaded), flush=True)
        result = {
            "reference": reference,
            "with_stalled": loaded,
            "rss_rise_mib": round(loaded["rss_peak_mib"] - loaded["rss_baseline_mib"], 1),
            "p99_change_percent": round(100 * (loaded["p99_ms"] / reference["p99_ms"] - 1), 1),
        }
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "burst.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        # Each stalled reader must have been cut by its bound (4008, counted by the server: one then
        # dropped by daphne's unanswered pings before it read its close frame shows None here).
        cut = loaded["server_4008_closes"] == STALLED
        return 1 if result["rss_rise_mib"] > 50 or not cut or loaded["problems"] or reference["problems"] else 0
    finally:
        stack.close()
