"""One target's session: start its servers, run the selected scenarios on them, stop, collect profiles.

``PLAN`` says which scenarios run on which target, grouped in phases; each phase gets fresh
servers (an idle-socket count or an RSS growth needs a server that did nothing else before).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from bench import scenarios
from bench.peer_targets import CeilingTarget, PeerTarget
from bench.profile import summarise
from bench.project_target import ProjectDatabase, ProjectTarget

SCENARIOS = {
    "fanout": scenarios.fanout,
    "two": scenarios.two_processes,
    "votes": scenarios.vote_storm,
    "rsvp": scenarios.rsvp_storm,
    "idle": scenarios.idle,
    "storm": scenarios.post_storm,
    "reconnect": scenarios.reconnect_storm,
    "stalled": scenarios.stalled_readers,
}
# Server settings of the phase that runs a scenario (one server for the whole phase).
SERVER_ENV = {"stalled": scenarios.STALLED_SERVER_ENV}
# target -> phases -> (result key, the scenario numbers that select it)
PLAN = {
    "tutorial-pubsub": [[("fanout", {1, 2})], [("idle", {6})]],
    "tutorial-pubsub-persist": [[("fanout", {1, 2}), ("storm", {7})]],
    "tutorial-core": [[("fanout", {1, 2})]],
    "project": [
        [("fanout", {1, 2}), ("votes", {4}), ("rsvp", {5}), ("storm", {7})],
        [("idle", {6})],
        [("stalled", {9})],
    ],
    "project-2proc": [[("two", {3}), ("votes", {4})], [("reconnect", {8})]],
    "ceiling": [[("fanout", {10})]],
}


@dataclass
class RunContext:
    cfg: dict
    pool: object
    run_id: str
    log_dir: Path
    progress: object
    args: object
    users: list | None = None
    db: ProjectDatabase | None = None


def make_target(name: str, ctx: RunContext, peer_db: ProjectDatabase | None, server_env: dict | None = None):
    if name == "ceiling":
        return CeilingTarget(ctx.log_dir)
    if name.startswith("tutorial-"):
        layer = name.split("-")[1]
        return PeerTarget(layer, ctx.run_id, ctx.log_dir, persist_db=peer_db)
    n_procs = 2 if name == "project-2proc" else 1
    return ProjectTarget(
        name,
        n_procs,
        ctx.db,
        ctx.users,
        ctx.run_id,
        ctx.log_dir,
        ctx.args.anonymous,
        ctx.args.profile,
        server_env=server_env,
    )


async def guarded(progress, results: dict, key: str, coro):
    try:
        results[key] = await coro
    except Exception as exc:
        progress(f"  {key} failed: {type(exc).__name__}: {exc}")
        results[key] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def collect_profile(t, out: dict, label: str, progress):
    for s in t.servers:
        files = s.profile_end()
        if not files:
            continue
        raw, svg = files
        try:
            summary = dict(summarise(raw), file=str(raw), flamegraph=str(svg) if svg.exists() else None)
            out.setdefault("profiles", {})[f"{s.name} {label}"] = summary
            progress(f"  profile of {s.name} ({label}): {svg}")
        except Exception as exc:
            progress(f"  profile of {s.name} unreadable: {exc}")


async def run_phase(name: str, phase: list, ctx: RunContext, out: dict, peer_db) -> None:
    server_env = {k: v for key, _ in phase for k, v in SERVER_ENV.get(key, {}).items()}
    t = make_target(name, ctx, peer_db, server_env)
    ctx.progress(f"{name}: starting")
    t.start()
    try:
        for key, numbers in phase:
            if not (numbers & ctx.cfg["scenarios"]):
                continue
            label = "S" + ",S".join(str(k) for k in sorted(numbers))
            for s in t.servers:
                s.profile_begin(label)
            cfg = ctx.cfg
            if name == "ceiling":  # a burst long enough to measure what the client can take
                cfg = dict(cfg, burst=cfg["ceiling_burst"])
            await guarded(ctx.progress, out, key, SCENARIOS[key](t, ctx.pool, cfg, ctx.progress))
            collect_profile(t, out, label, ctx.progress)
    finally:
        if hasattr(t, "aclose"):
            await t.aclose()
        t.stop()
        out.setdefault("server_logs", []).extend(str(s.log_path) for s in t.servers)


async def run_target(name: str, ctx: RunContext) -> dict:
    """Every phase of the target's plan that has a selected scenario."""
    out: dict = {}
    peer_db = None
    if name == "tutorial-pubsub-persist":
        peer_db = ProjectDatabase(ctx.args.db, ctx.run_id + "peer")
        peer_db.create()
    try:
        for phase in PLAN[name]:
            if any(numbers & ctx.cfg["scenarios"] for _, numbers in phase):
                await run_phase(name, phase, ctx, out, peer_db)
    finally:
        if peer_db is not None:
            peer_db.drop()
    return out
