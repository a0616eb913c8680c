"""When things go wrong: a server killed under 3,000 sockets (S8), readers that stop reading (S9)."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from bench.measure import new_tag, pct, run_posts, settle
from bench.servers import HOST

RSS_SAMPLE_S = 0.2
# The stalled-readers shape (issue #9, finding 1), shared with `python -m soak --burst` so that both
# measure the same thing. A fixed kernel send buffer per socket (256 KiB: Linux doubles it) and a
# 4 KiB receive buffer on each stalled client: otherwise loopback autotuning lets the two kernels
# absorb megabytes per reader, the server's 1 MiB bound is never reached, nobody is cut, and the
# RSS figure (kernel memory is not in it) says nothing. A grace longer than the burst: each cut
# reader's close frame and transport buffer stay in the peak, and the reader sees its 4008.
STALLED_SERVER_ENV = {"REALTIME_SLOW_CLIENT_GRACE": "3600", "REALTIME_SOCKET_SEND_BUFFER": "131072"}
STALLED_RECEIVE_BUFFER = 4096
STALLED_CLOSE_WAIT_S = 30.0


def caught_up_figures(replies, t_kill: float | None, posts: int) -> dict:
    t_caught = [t for r in replies for t in r["t_caught"]]
    n = sum(r["sockets"] for r in replies)
    lags = sorted(t - t_kill for t in t_caught if t is not None) if t_kill else []
    attempts: dict = {}
    failures: dict = {}
    for r in replies:
        for k, v in r["attempts"].items():
            attempts[k] = attempts.get(k, 0) + v
        for k, v in r["failures"].items():
            failures[k] = failures.get(k, 0) + v
    unique = sum(r["unique"] for r in replies)
    return {
        "sockets": n,
        "posts": posts,
        "lost_connection": sum(r["lost_sockets"] for r in replies),
        "reconnected": sum(r["back_sockets"] for r in replies),
        "caught_up": len(lags),
        "all_caught_up_s": round(lags[-1], 3) if lags and len(lags) == n else None,
        "caught_up_p50_s": round(pct(lags, 0.5), 3) if lags else None,
        "caught_up_p99_s": round(pct(lags, 0.99), 3) if lags else None,
        "lost": n * posts - unique,
        "duplicated": sum(r["dups"] + r["seq_dups"] for r in replies),
        "out_of_order_sockets": sum(r["out_of_order_sockets"] for r in replies),
        "attempts_per_socket": attempts,
        "reconnect_failures": failures,
    }


async def reconnect_storm(target, pool, cfg, progress) -> dict:
    """S8: sockets on process A, posts from process B at a steady rate; A gets SIGKILL; every
    socket comes back to B with ``since`` and the browser's backoff."""
    topic = await target.new_topic("room")
    n, rate = cfg["reconnect_sockets"], cfg["reconnect_rate"]
    posts = int(rate * cfg["reconnect_seconds"])
    group = "s8"
    opened = await target.open_subs(pool, group, n, topic, server=0, users=target.users[1 : n + 1])
    progress(f"{target.name}: S8 {opened['opened']}/{n} sockets on process A in {opened['seconds']:.1f} s")
    out = {"open": opened}
    a, b = target.servers
    tag = new_tag()
    poster = await target.poster(topic, server=1)
    try:
        await settle(target)
        b_cpu0, c0 = b.cpu_seconds(), await pool.cpu_now()
        results = await pool.arm(
            "arm_reconnect", group, host=HOST, port=b.port, path="/ws/", topic=topic, tag=tag, expect=posts
        )
        t0, t_kill = time.monotonic(), None
        for i in range(posts):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the post schedule, not synchronisation
            if t_kill is None and time.monotonic() - t0 >= cfg["kill_after"]:
                a.kill()
                t_kill = time.monotonic()
                progress(f"{target.name}: S8 process A killed (SIGKILL) after {i} posts")
            poster.post(tag, i)
        # Reconnections come after a backoff: allow as long without progress as the drain itself.
        replies = await pool.finish(group, cfg["reconnect_drain"], results, stall=cfg["reconnect_drain"])
        await poster.wait_replies(5.0)
        out.update(caught_up_figures(replies, t_kill, posts))
        out["posts_ok"] = len(poster.ok)
        out["process_b_cpu_s"] = round(b.cpu_seconds() - b_cpu0, 3)
        out["client_cpu_s"] = round(await pool.cpu_now() - c0, 3)
        progress(
            f"{target.name}: S8 {out['caught_up']}/{out['sockets']} caught up, all within {out['all_caught_up_s']} s"
            f" of the kill; lost {out['lost']}, duplicated {out['duplicated']}"
        )
    finally:
        poster.close()
        await pool.close(group)
        out["server_errors"] = target.collapse_errors()
    return out


def slow_consumer_closes(metrics_text: str) -> int:
    """The server's count of 4008 closes, from its /metrics page (Prometheus text format)."""
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == "cl_slow_consumer_closes_total":
                return int(sample.value)
    return 0


async def _sample_rss(server, peak: list, stop: asyncio.Event):
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], server.rss_kib())
        except OSError:
            return
        try:
            await asyncio.wait_for(stop.wait(), RSS_SAMPLE_S)
        except TimeoutError:
            pass


async def _burst_rss(target, pool, group, topic, n, cfg) -> dict:
    srv = target.servers[0]
    await settle(target)
    rss0 = srv.rss_kib()
    peak, stop = [rss0], asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(srv, peak, stop))
    try:
        # Paced at a rate one room sustains: posted all at once, the burst queues behind the room's
        # write path and the "delivery p99" measures that queue (59 s in a full run), not what
        # stalled readers do to healthy ones (soak --burst posts from 8 closed-loop posters).
        out = await run_posts(
            target, pool, group, topic, n, cfg["stall_posts"], cfg["stall_rate"], drain=cfg["stall_drain"]
        )
    finally:
        stop.set()
        await sampler
    out["rss_before_kib"], out["rss_peak_kib"] = rss0, peak[0]
    out["rss_growth_mib"] = round((peak[0] - rss0) / 1024, 1)
    return out


async def stalled_readers(target, pool, cfg, progress) -> dict:
    """S9: the same burst to healthy subscribers, without then with stalled readers on the topic."""
    topic = await target.new_topic("room")
    n_h, n_s = cfg["stall_healthy"], cfg["stall_sockets"]
    healthy, stalled = "s9-healthy", "s9-stalled"
    users = target.users
    await target.open_subs(pool, healthy, n_h, topic, users=users[1 : n_h + 1])
    out: dict = {}
    try:
        progress(f"{target.name}: S9 burst of {cfg['stall_posts']} posts to {n_h} healthy subscribers alone")
        out["alone"] = await _burst_rss(target, pool, healthy, topic, n_h, cfg)
        opened = await target.open_subs(pool, stalled, n_s, topic, users=users[n_h + 1 : n_h + n_s + 1])
        await pool.pause_reading(stalled, receive_buffer=STALLED_RECEIVE_BUFFER)
        closes_before = slow_consumer_closes((await target.http.get("/metrics")).text)
        out["stalled_open"] = opened
        progress(f"{target.name}: S9 the same burst with {opened['opened']} stalled readers")
        out["with_stalled"] = await _burst_rss(target, pool, healthy, topic, n_h, cfg)
        a, w = out["alone"].get("p99_ms"), out["with_stalled"].get("p99_ms")
        # A ratio of two bursts cut short by the drain compares the drain with itself (a loaded
        # machine): only two complete bursts give one.
        complete = out["alone"].get("delivered_pct") == out["with_stalled"].get("delivered_pct") == 100.0
        out["p99_ratio"] = round(w / a, 2) if a and w and complete else None
        out["rss_growth_mib"] = out["with_stalled"]["rss_growth_mib"]
        # Every stalled reader should be cut by its bound (4008). On the client side "None" is a
        # connection dropped without a close frame (daphne's unanswered pings, ~50 s), "open" one
        # never cut.
        out["stalled_close_codes"] = await pool.close_codes(stalled, STALLED_CLOSE_WAIT_S)
        # Counted by the server: a reader cut with 4008 and then dropped by daphne's unanswered
        # pings before it read its close frame shows "None" on the client side.
        out["stalled_cut_4008"] = slow_consumer_closes((await target.http.get("/metrics")).text) - closes_before
        progress(
            f"{target.name}: S9 healthy p99 {a} ms alone, {w} ms with stalled readers; RSS +{out['rss_growth_mib']} MiB;"
            f" stalled readers' closes {out['stalled_close_codes']}"
        )
    finally:
        await pool.close(healthy)
        await pool.close(stalled)
        out["server_errors"] = target.collapse_errors()
    return out
