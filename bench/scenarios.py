"""The six scenarios of issue 6. Each returns a plain dict of figures (see bench/README.md)."""

from __future__ import annotations

import array
import asyncio
import os
import time
import uuid

from bench.servers import read_cpu_seconds


def pct(sorted_values, q: float):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def new_tag() -> str:
    return "B" + uuid.uuid4().hex[:8]


async def settle(target, max_wait: float = 15.0, busy: float = 0.15, window: float = 0.25):
    """Bounded poll until every server of the target is idle (CPU below ``busy`` of a core
    over ``window``): leftover work from connecting (presence, backlogs) must not leak into
    the next measurement. Returns the seconds waited."""
    t0 = time.monotonic()
    pids = [s.pid for s in target.servers if s.alive()]
    prev = [read_cpu_seconds(p) for p in pids]
    while time.monotonic() - t0 < max_wait:
        await asyncio.sleep(window)
        try:
            cur = [read_cpu_seconds(p) for p in pids]
        except OSError:
            break
        if all(c - p < busy * window for c, p in zip(cur, prev, strict=False)):
            break
        prev = cur
    return time.monotonic() - t0


class Meter:
    """Server and client CPU seconds over a measured window."""

    def __init__(self, target, pool):
        self.target, self.pool = target, pool

    async def __aenter__(self):
        self.load1 = os.getloadavg()[0]
        self.s0 = self.target.server_cpu()
        self.c0 = await self.pool.cpu_now()
        self.t0 = time.monotonic()
        return self

    async def __aexit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        self.server = self.target.server_cpu() - self.s0
        self.client = await self.pool.cpu_now() - self.c0

    def figures(self) -> dict:
        """``server_cpu_pct``: CPU the server processes got, in % of one core over the window (the
        machine has two, shared with the client, Redis and whatever else runs: ``loadavg_1m``)."""
        return {
            "wall_s": round(self.wall, 3),
            "server_cpu_s": round(self.server, 3),
            "client_cpu_s": round(self.client, 3),
            "server_cpu_pct": round(100 * self.server / self.wall, 1) if self.wall > 0 else None,
            "client_cpu_pct": round(100 * self.client / self.wall, 1) if self.wall > 0 else None,
            "loadavg_1m": round(self.load1, 2),
        }


def aggregate_messages(replies, n_requested: int, expect: int, t_first_send: float) -> dict:
    lat = array.array("d")
    for r in replies:
        lat.frombytes(r["lat"])
    lat = sorted(lat)
    unique = sum(r["unique"] for r in replies)
    armed = sum(r["sockets"] for r in replies)
    lasts = [r["last_recv"] for r in replies if r["last_recv"] is not None]
    last = max(lasts) if lasts else None
    span = (last - t_first_send) if last else None
    total = n_requested * expect
    return {
        "subscribers_requested": n_requested,
        "subscribers_connected": armed,
        "posts": expect,
        "expected_deliveries": total,
        "delivered": unique,
        "delivered_pct": round(100.0 * unique / total, 3) if total else None,
        "complete_subscribers": sum(r["complete_sockets"] for r in replies),
        "duplicates": sum(r["dups"] for r in replies),
        "order_violations": sum(r["order_violations"] for r in replies),
        "seq_gaps": sum(r["seq_gaps"] for r in replies),
        "foreign_frames": sum(r["foreign"] for r in replies),
        "p50_ms": round(1000 * pct(lat, 0.50), 2) if lat else None,
        "p99_ms": round(1000 * pct(lat, 0.99), 2) if lat else None,
        "max_ms": round(1000 * lat[-1], 2) if lat else None,
        "deliveries_per_s": round(unique / span, 1) if span and span > 0 else 0.0,
        "span_s": round(span, 3) if span else None,
    }


async def run_posts(
    target,
    pool,
    group: str,
    topic: str,
    n_subs: int,
    posts: int,
    rate: float | None,
    drain: float,
    poster_server: int = 0,
) -> dict:
    """Arm the subscribers, post ``posts`` messages (at ``rate``/s, or all at once when
    ``rate`` is None), wait for every delivery (bounded), return the figures."""
    tag = new_tag()
    poster = await target.poster(topic, poster_server)
    try:
        await settle(target)
        async with Meter(target, pool) as m:
            results = await pool.arm(
                "arm_messages",
                group,
                expect=posts,
                tag=tag,
                mode=target.mode,
                topic=topic if target.mode == "project" else None,
            )
            t_first = time.monotonic()
            if rate is None:
                for i in range(posts):
                    poster.post(tag, i)
            else:
                t0 = time.monotonic()
                for i in range(posts):
                    delay = t0 + i / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)  # pacing the post schedule, not synchronisation
                    poster.post(tag, i)
            t_last_send = time.monotonic()
            replies = await pool.finish(group, drain, results)
            await poster.wait_replies(5.0)
        out = aggregate_messages(replies, n_subs, posts, t_first)
        out["post_window_s"] = round(t_last_send - t_first, 3)
        out.update(m.figures())
        if target.mode == "project":
            oks = sorted(poster.ok_latencies())
            out["posts_ok"] = len(oks)
            out["post_errors"] = dict(poster.errors)
            out["post_ok_p50_ms"] = round(1000 * pct(oks, 0.5), 2) if oks else None
            out["post_ok_p99_ms"] = round(1000 * pct(oks, 0.99), 2) if oks else None
        if out["delivered"]:
            out["client_cpu_us_per_delivery"] = round(1e6 * out["client_cpu_s"] / out["delivered"], 1)
            out["server_cpu_us_per_delivery"] = round(1e6 * out["server_cpu_s"] / out["delivered"], 1)
        return out
    finally:
        poster.close()


# ------------------------------------------------------------------------------------------
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


async def _state_storm(
    target,
    pool,
    cfg,
    progress,
    *,
    what: str,
    kind: str,
    topic: str,
    frames: list,
    expected: dict,
    spread: float,
    label: str,
) -> dict:
    n_w = cfg["watchers"]
    watchers, writers = f"{label}-watch", f"{label}-write"
    n_writers = len(frames)
    wusers = target.users[1 : n_w + 1]
    vusers = target.users[1 : n_writers + 1]
    ow = await target.open_subs(pool, watchers, n_w, topic, users=wusers)
    ov = await target.open_writers(pool, writers, vusers)
    progress(f"{target.name}: {label}: {ow['opened']} watchers subscribed, {ov['opened']} writers connected")
    out = {"watchers_open": ow, "writers_open": ov, "expected": expected}
    try:
        await settle(target)
        async with Meter(target, pool) as m:
            results = await pool.arm("arm_state", watchers, topic=topic, kind=kind, expected=expected)
            start_at = time.monotonic() + 0.2
            replies = await pool.send(writers, frames, spread=spread, timeout=cfg["write_timeout"], start_at=start_at)
            outcomes: dict = {}
            for r in replies:
                for k, v in r["outcomes"].items():
                    outcomes[k] = outcomes.get(k, 0) + v
            t_ok = [t for r in replies for t in r["t_reply"] if t is not None]  # ok or error: every reply
            t_sent = [t for r in replies for t in r["t_sent"] if t is not None]
            t_last_ok = max(t_ok) if t_ok else None
            wres = await pool.finish(watchers, cfg["drain"], results)
        t_exact = [t for r in wres for t in r["t_exact"]]
        n_armed = sum(r["sockets"] for r in wres)
        exact = sum(1 for t in t_exact if t is not None)
        lag = None
        lags = []
        if t_last_ok is not None:
            lags = sorted(max(0.0, t - t_last_ok) for t in t_exact if t is not None)
            if exact == n_armed and lags:
                lag = lags[-1]
        lasts: dict = {}
        for r in wres:
            for text, c in r["last_states"]:
                lasts[text] = lasts.get(text, 0) + c
        out.update(
            {
                "writes": n_writers,
                "outcomes": outcomes,
                "write_window_s": round(max(t_sent) - min(t_sent), 3) if t_sent else None,
                "last_ok_after_first_send_s": round(t_last_ok - min(t_sent), 3) if t_last_ok and t_sent else None,
                "writes_per_s": round(len(t_ok) / (t_last_ok - min(t_sent)), 1) if t_last_ok and t_sent else None,
                "watchers": n_armed,
                "watchers_exact": exact,
                "all_exact": exact == n_armed and n_armed == n_w,
                "time_to_all_exact_ms": round(1000 * lag, 1) if lag is not None else None,
                "time_to_exact_p50_ms": round(1000 * pct(lags, 0.5), 1) if lags else None,
                "max_frames_per_s": max((r["max_frames_per_s"] for r in wres), default=0),
                "state_frames": sum(r["frames"] for r in wres),
                "stale_frames": sum(r["stale"] for r in wres),
                "watchers_without_frame": sum(r["never"] for r in wres),
                "last_states_top": sorted(lasts.items(), key=lambda kv: -kv[1])[:3],
            }
        )
        out.update(m.figures())
    finally:
        await pool.close(watchers)
        await pool.close(writers)
        out["server_errors"] = target.collapse_errors()
    return out


async def vote_storm(target, pool, cfg, progress) -> dict:
    """Scenario 4: ``voters`` distinct users vote within ``vote_spread`` s; ``watchers`` hold the tally."""
    topic = await target.new_topic("proposal")
    pid = topic.split(":", 1)[1]
    detail = await target.get(f"/api/proposals/{pid}")
    keys = [o["key"] for o in detail.get("options") or []] or ["up", "down", "white", "uncomplet"]
    n_v = cfg["voters"]
    tag = new_tag()
    frames, counts = [], {k: 0 for k in keys}
    for k in range(n_v):
        choice = keys[k % len(keys)]
        counts[choice] += 1
        frames.append({"type": "vote", "topic": topic, "choice": choice, "ref": f"{tag}-v{k}"})
    progress(f"{target.name}: S4 vote storm, {n_v} voters within {cfg['vote_spread']:g} s, {cfg['watchers']} watchers")
    out = await _state_storm(
        target,
        pool,
        cfg,
        progress,
        what="proposal",
        kind="tally",
        topic=topic,
        frames=frames,
        expected={"counts": counts, "total": n_v},
        spread=cfg["vote_spread"],
        label="s4",
    )
    final = await target.get(f"/api/proposals/{pid}")
    out["http_tally"] = final.get("tally")
    tally = final.get("tally") or {}
    out["http_tally_exact"] = (tally.get("counts") == counts) if isinstance(tally, dict) else None
    progress(
        f"{target.name}: S4 all exact: {out['all_exact']}, max {out['max_frames_per_s']} tally frames/s,"
        f" last watcher exact {out['time_to_all_exact_ms']} ms after the last ok; outcomes {out['outcomes']}"
    )
    return out


async def rsvp_storm(target, pool, cfg, progress) -> dict:
    """Scenario 5: ``rsvps`` concurrent ``going`` for ``capacity`` places."""
    cap, n_r = cfg["capacity"], cfg["rsvps"]
    topic = await target.new_topic("event", capacity=cap)
    eid = topic.split(":", 1)[1]
    tag = new_tag()
    frames = [{"type": "rsvp", "topic": topic, "status": "going", "ref": f"{tag}-r{k}"} for k in range(n_r)]
    progress(f"{target.name}: S5 RSVP storm, {n_r} concurrent going for capacity {cap}, {cfg['watchers']} watchers")
    out = await _state_storm(
        target,
        pool,
        cfg,
        progress,
        what="event",
        kind="attendance",
        topic=topic,
        frames=frames,
        expected={"going": cap, "waitlisted": n_r - cap},
        spread=0.0,
        label="s5",
    )
    final = await target.get(f"/api/events/{eid}")
    out["http_event"] = {k: final.get(k) for k in ("attendance", "going", "waitlisted", "capacity") if k in final}
    out["going_ok"] = out["outcomes"].get("ok:going", 0)
    att = final.get("attendance") if isinstance(final.get("attendance"), dict) else final
    out["http_exact"] = att.get("going") == cap and att.get("waitlisted") == n_r - cap
    progress(
        f"{target.name}: S5 outcomes {out['outcomes']}, all exact: {out['all_exact']},"
        f" last watcher exact {out['time_to_all_exact_ms']} ms after the last ok"
    )
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
    opened = await target.open_subs(pool, group, n, topic)
    await settle(target)
    rss1 = srv.rss_kib()
    progress(
        f"{target.name}: S6 {opened['opened']}/{n} idle sockets in {time.monotonic() - t0:.1f} s, "
        f"RSS {rss0 / 1024:.0f} -> {rss1 / 1024:.0f} MiB"
    )
    out = {"open": opened, "warmup_delivered": w["delivered"], "rss_before_kib": rss0, "rss_after_kib": rss1}
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
