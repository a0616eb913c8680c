"""Fan-out scenarios: latency and bursts to one room (S1, S2), two processes (S3), idle sockets (S6)."""

from __future__ import annotations

import asyncio
import time

from bench.measure import Meter, run_posts, settle


async def fanout(target, pool, cfg, progress) -> dict:
    """Scenarios 1 and 2 on one set of subscribers: latency at a steady rate, then a burst."""
    topic = target.new_topic("room")
    if asyncio.iscoroutine(topic):
        topic = await topic
    n = cfg["subscribers"]
    group = f"fan-{target.name}"
    opened = await target.open_subs(pool, group, n, topic)
    progress(
        f"{target.name}: {opened['opened']}/{n} subscribers open in {opened['seconds']:.1f} s"
        + (f" (failed: {opened['errors']})" if opened["failed"] else "")
    )
    out = {"open": opened}
    try:
        if opened["opened"] == 0:
            out["s1"] = out["s2"] = {
                "error": "no subscriber could connect",
                "delivered_pct": 0.0,
                "deliveries_per_s": 0.0,
            }
            return out
        progress(f"{target.name}: S1 fan-out latency, {cfg['rate']:g} posts/s for {cfg['seconds']:g} s")
        s1 = await run_posts(
            target, pool, group, topic, n, int(cfg["rate"] * cfg["seconds"]), cfg["rate"], drain=cfg["drain"]
        )
        s1["still_open"] = await pool.count_open(group)
        out["s1"] = s1
        progress(
            f"{target.name}: S1 delivered {s1['delivered_pct']}%, p50 {s1['p50_ms']} ms, p99 {s1['p99_ms']} ms,"
            f" dups {s1['duplicates']}"
        )
        progress(f"{target.name}: S2 fan-out throughput, burst of {cfg['burst']} posts")
        s2 = await run_posts(target, pool, group, topic, n, cfg["burst"], None, drain=cfg["burst_drain"])
        s2["still_open"] = await pool.count_open(group)
        out["s2"] = s2
        progress(
            f"{target.name}: S2 {s2['deliveries_per_s']} deliveries/s, delivered {s2['delivered_pct']}%,"
            f" p99 {s2['p99_ms']} ms"
        )
    finally:
        await pool.close(group)
        out["server_errors"] = target.collapse_errors()
    return out


async def two_processes(target, pool, cfg, progress) -> dict:
    """Scenario 3: subscribers split over the two processes, the poster on the first."""
    topic = await target.new_topic("room")
    n = cfg["subscribers"]
    group = "two-procs"
    half = n // 2
    a = await target.open_subs(pool, group, half, topic, server=0, users=target.users[1 : half + 1])
    b = await target.open_subs(pool, group, n - half, topic, server=1, users=target.users[half + 1 : n + 1])
    progress(f"{target.name}: {a['opened']}+{b['opened']} subscribers open on two processes")
    out = {"open": [a, b]}
    try:
        progress(f"{target.name}: S3 latency, {cfg['rate']:g} posts/s for {cfg['seconds']:g} s")
        lat = await run_posts(
            target, pool, group, topic, n, int(cfg["rate"] * cfg["seconds"]), cfg["rate"], drain=cfg["drain"]
        )
        out["latency"] = lat
        progress(f"{target.name}: S3 latency delivered {lat['delivered_pct']}%, p99 {lat['p99_ms']} ms")
        progress(f"{target.name}: S3 burst of {cfg['burst']} posts")
        burst = await run_posts(target, pool, group, topic, n, cfg["burst"], None, drain=cfg["burst_drain"])
        out["burst"] = burst
        progress(
            f"{target.name}: S3 burst {burst['deliveries_per_s']} deliveries/s, delivered {burst['delivered_pct']}%,"
            f" order violations {burst['order_violations']}, dups {burst['duplicates']}"
        )
    finally:
        await pool.close(group)
        out["server_errors"] = target.collapse_errors()
    return out


async def idle(target, pool, cfg, progress) -> dict:
    """Scenario 6: RSS growth per idle subscribed socket, then one post that must reach them all."""
    n = cfg["idle"]
    topic = target.new_topic("room")
    if asyncio.iscoroutine(topic):
        topic = await topic
    srv = target.servers[0]
    # Warm up: one socket and one post load every lazily imported module before the baseline.
    warm = "idle-warm"
    await target.open_subs(pool, warm, 1, topic)
    w = await run_posts(target, pool, warm, topic, 1, 1, None, drain=5.0)
    await pool.close(warm)
    await settle(target)
    rss0 = srv.rss_kib()
    group = "idle"
    t0 = time.monotonic()
    async with Meter(target, pool) as opening:
        opened = await target.open_subs(pool, group, n, topic)
    await settle(target)
    rss1 = srv.rss_kib()
    progress(
        f"{target.name}: S6 {opened['opened']}/{n} idle sockets in {time.monotonic() - t0:.1f} s, "
        f"RSS {rss0 / 1024:.0f} -> {rss1 / 1024:.0f} MiB"
    )
    out = {"open": opened, "warmup_delivered": w["delivered"], "rss_before_kib": rss0, "rss_after_kib": rss1}
    # Which side limits the connect rate: the server's and the client's CPU while opening.
    out["opening"] = opening.figures()
    try:
        per = (rss1 - rss0) / opened["opened"] if opened["opened"] else None
        out["rss_per_conn_kib"] = round(per, 2) if per is not None else None
        if opened["opened"]:
            post = await run_posts(target, pool, group, topic, n, 1, None, drain=cfg["drain"])
            out["post"] = post
            out["rss_after_post_kib"] = srv.rss_kib()
            progress(
                f"{target.name}: S6 {out['rss_per_conn_kib']} KiB per connection; one post reached "
                f"{post['delivered']}/{n} in {post['max_ms']} ms"
            )
    finally:
        await pool.close(group)
        out["server_errors"] = target.collapse_errors()
    return out
