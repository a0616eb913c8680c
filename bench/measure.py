"""What every scenario measures with: percentiles, settling, the CPU meter, numbered posts."""

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
