"""S7, the write storm into one room: many writers post at once while subscribers receive.

"Persisted posts/s" is measured where each server says a post is stored: the project's
``ok`` (sent after commit); for tutorial-pubsub-persist, which answers nothing, the row
count of its table (polled) reaching the number sent.
"""

from __future__ import annotations

import array
import asyncio
import time

from bench.measure import Meter, aggregate_messages, new_tag, pct, settle

ROWS_POLL_S = 0.05


async def maybe_topic(target) -> str:
    topic = target.new_topic("room")
    return await topic if asyncio.iscoroutine(topic) else topic


async def wait_rows(target, n: int, deadline: float) -> tuple[float | None, int]:
    """(when the peer's table first held ``n`` rows, rows seen): a bounded poll of its database."""
    count = 0
    while time.monotonic() < deadline:
        count = await asyncio.to_thread(target.stored_messages)
        if count >= n:
            return time.monotonic(), count
        await asyncio.sleep(ROWS_POLL_S)  # polling another process's table: no event to await
    return None, count


def burst_figures(bursts: list[dict], t_persisted: float | None, persisted: int, sent: int) -> dict:
    t_first = min(b["t_first_send"] for b in bursts)
    oks = sum(b["oks"] for b in bursts)
    lat = array.array("d")
    for b in bursts:
        lat.frombytes(b["ok_latency"])
    lat = sorted(lat)
    span = (t_persisted - t_first) if t_persisted else None
    errors: dict = {}
    for b in bursts:
        for k, v in b["errors"].items():
            errors[k] = errors.get(k, 0) + v
    return {
        "posts_sent": sent,
        "send_window_s": round(max(b["t_last_send"] for b in bursts) - t_first, 3),
        "posts_ok": oks,
        "post_errors": errors,
        "unanswered": sum(b["unanswered"] for b in bursts),
        "persisted": persisted,
        "persisted_in_s": round(span, 3) if span else None,
        "persisted_posts_per_s": round(persisted / span, 1) if span else None,
        "post_ok_p50_ms": round(1000 * pct(lat, 0.5), 1) if lat else None,
        "post_ok_p99_ms": round(1000 * pct(lat, 0.99), 1) if lat else None,
        "t_first_send": t_first,
    }


async def post_storm(target, pool, cfg, progress) -> dict:
    """``storm_writers`` sockets (subscribed too, as in a meeting) each post ``storm_posts_each``
    messages as fast as they can into one room with ``storm_subscribers`` subscribers."""
    topic = await maybe_topic(target)
    n_s, n_w, each = cfg["storm_subscribers"], cfg["storm_writers"], cfg["storm_posts_each"]
    subs, writers = "s7-subs", "s7-writers"
    users = getattr(target, "users", None)
    os_ = await target.open_subs(pool, subs, n_s, topic, users=users[1 : n_s + 1] if users else None)
    ow = await target.open_subs(pool, writers, n_w, topic, users=users[1 : n_w + 1] if users else None)
    progress(f"{target.name}: S7 post storm, {ow['opened']} writers x {each} posts, {os_['opened']} subscribers")
    out = {"subscribers_open": os_, "writers_open": ow}
    total = n_w * each
    tag = new_tag()
    try:
        await settle(target)
        async with Meter(target, pool) as m:
            results = await pool.arm("arm_messages", subs, expect=total, tag=tag, mode=target.mode, topic=topic)
            bursts = await pool.post_burst(
                writers, n_w, tag=tag, topic=topic, per_socket=each, mode=target.mode, timeout=cfg["write_timeout"]
            )
            if target.mode == "project":  # an ok is sent after commit
                replies_at = [b["t_last_reply"] for b in bursts if b["t_last_reply"]]
                t_persisted, persisted = max(replies_at, default=None), sum(b["oks"] for b in bursts)
            else:
                t_persisted, persisted = await wait_rows(target, total, time.monotonic() + cfg["write_timeout"])
            delivered = await pool.finish(subs, cfg["storm_drain"], results)
        figures = burst_figures(bursts, t_persisted, persisted, total)
        out.update(aggregate_messages(delivered, n_s, total, figures.pop("t_first_send")))
        out.update(figures)
        out.update(m.figures())
        if out["delivered"]:
            out["server_cpu_us_per_delivery"] = round(1e6 * out["server_cpu_s"] / out["delivered"], 1)
        progress(
            f"{target.name}: S7 {out['persisted_posts_per_s']} persisted posts/s, delivered {out['delivered_pct']}%,"
            f" p99 {out['p99_ms']} ms, errors {out['post_errors']}"
        )
    finally:
        await pool.close(subs)
        await pool.close(writers)
        out["server_errors"] = target.collapse_errors()
    return out
