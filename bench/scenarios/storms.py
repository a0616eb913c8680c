"""State storms on one topic: votes (S4) and RSVPs (S5), with watchers holding the snapshot."""

from __future__ import annotations

import time

from bench.measure import Meter, new_tag, pct, settle


def write_figures(replies) -> dict:
    """Replies of a ``send``: outcomes, the send window, when the last reply came, writes answered per s."""
    outcomes: dict = {}
    for r in replies:
        for k, v in r["outcomes"].items():
            outcomes[k] = outcomes.get(k, 0) + v
    t_ok = [t for r in replies for t in r["t_reply"] if t is not None]  # ok or error: every reply
    t_sent = [t for r in replies for t in r["t_sent"] if t is not None]
    t_last_ok = max(t_ok) if t_ok else None
    span = (t_last_ok - min(t_sent)) if t_last_ok and t_sent else None
    return {
        "writes": len(t_sent),
        "replies": len(t_ok),
        "outcomes": outcomes,
        "write_window_s": round(max(t_sent) - min(t_sent), 3) if t_sent else None,
        "last_ok_after_first_send_s": round(span, 3) if span else None,
        "writes_per_s": round(len(t_ok) / span, 1) if span else None,
        "t_last_ok": t_last_ok,
    }


def watcher_figures(wres, t_last_ok, n_w: int) -> dict:
    """State recorders' results: how many watchers hold the exact snapshot, and how long after the last ok."""
    t_exact = [t for r in wres for t in r["t_exact"]]
    n_armed = sum(r["sockets"] for r in wres)
    exact = sum(1 for t in t_exact if t is not None)
    lag, lags = None, []
    if t_last_ok is not None:
        lags = sorted(max(0.0, t - t_last_ok) for t in t_exact if t is not None)
        if exact == n_armed and lags:
            lag = lags[-1]
    lasts: dict = {}
    for r in wres:
        for text, c in r["last_states"]:
            lasts[text] = lasts.get(text, 0) + c
    return {
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


async def open_writers_spread(target, pool, group: str, users: list) -> dict:
    """Writers spread evenly over the target's processes (two processes: half on each)."""
    n_procs = len(target.servers)
    opened = [
        await target.open_writers(pool, group, users[k::n_procs], server=k) for k in range(n_procs) if users[k::n_procs]
    ]
    return {
        "opened": sum(o["opened"] for o in opened),
        "failed": sum(o["failed"] for o in opened),
        "errors": {k: v for o in opened for k, v in o["errors"].items()},
        "seconds": sum(o["seconds"] for o in opened),
    }


async def _state_storm(
    target, pool, cfg, progress, *, kind: str, topic: str, frames: list, expected: dict, spread: float, label: str
) -> dict:
    n_w = cfg["watchers"]
    watchers, writers = f"{label}-watch", f"{label}-write"
    ow = await target.open_subs(pool, watchers, n_w, topic, users=target.users[1 : n_w + 1])
    ov = await open_writers_spread(target, pool, writers, target.users[1 : len(frames) + 1])
    progress(f"{target.name}: {label}: {ow['opened']} watchers subscribed, {ov['opened']} writers connected")
    out = {"watchers_open": ow, "writers_open": ov, "expected": expected}
    try:
        await settle(target)
        async with Meter(target, pool) as m:
            results = await pool.arm("arm_state", watchers, topic=topic, kind=kind, expected=expected)
            start_at = time.monotonic() + 0.2
            replies = await pool.send(writers, frames, spread=spread, timeout=cfg["write_timeout"], start_at=start_at)
            writes = write_figures(replies)
            wres = await pool.finish(watchers, cfg["drain"], results)
        t_last_ok = writes.pop("t_last_ok")
        out.update(writes, writes=len(frames))
        out.update(watcher_figures(wres, t_last_ok, n_w))
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
