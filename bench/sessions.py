"""One target's session: start its servers, run the selected scenarios on them, stop, collect profiles."""

from __future__ import annotations

import traceback

from bench import scenarios
from bench.profile import summarise
from bench.targets import PeerTarget, ProjectTarget


async def guarded(progress, results: dict, key: str, coro):
    try:
        results[key] = await coro
    except Exception as exc:
        progress(f"  {key} failed: {type(exc).__name__}: {exc}")
        results[key] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


async def run_peer(layer, cfg, pool, run_id, log_dir, progress, with_idle: bool) -> dict:
    out: dict = {}
    sel = cfg["scenarios"]
    t = None
    if sel & {1, 2}:
        t = PeerTarget(layer, run_id, log_dir)
        progress(f"{t.name}: starting daphne")
        t.start()
        try:
            await guarded(progress, out, "fanout", scenarios.fanout(t, pool, cfg, progress))
        finally:
            t.stop()
    if with_idle and 6 in sel:
        t = PeerTarget(layer, run_id, log_dir)
        t.start()
        try:
            await guarded(progress, out, "idle", scenarios.idle(t, pool, cfg, progress))
        finally:
            t.stop()
    out["server_log"] = str(t.servers[0].log_path) if t is not None and t.servers else None
    return out


def collect_profiles(t, out: dict, phase: str, progress):
    for s in t.servers:
        if s.profile_path is not None and s.profile_path.exists():
            try:
                out.setdefault("profiles", {})[f"{s.name} {phase}"] = dict(
                    summarise(s.profile_path), file=str(s.profile_path)
                )
                progress(f"  profile of {s.name} ({phase}): {s.profile_path}")
            except Exception as exc:
                progress(f"  profile of {s.name} unreadable: {exc}")


async def run_project(cfg, pool, run_id, log_dir, progress, args, users, db, which) -> dict:
    out: dict = {}
    sel = cfg["scenarios"]
    t = None
    if which == "project":
        if sel & {1, 2, 4, 5}:
            t = ProjectTarget("project", 1, db, users, run_id, log_dir, args.anonymous, args.profile)
            progress("project (one process, in-process fan-out): starting daphne")
            t.start()
            try:
                if sel & {1, 2}:
                    await guarded(progress, out, "fanout", scenarios.fanout(t, pool, cfg, progress))
                if 4 in sel:
                    await guarded(progress, out, "votes", scenarios.vote_storm(t, pool, cfg, progress))
                if 5 in sel:
                    await guarded(progress, out, "rsvp", scenarios.rsvp_storm(t, pool, cfg, progress))
            finally:
                await t.aclose()
                t.stop()
                collect_profiles(t, out, "S" + ",S".join(str(k) for k in sorted(sel & {1, 2, 4, 5})), progress)
        if 6 in sel:
            t = ProjectTarget("project", 1, db, users, run_id, log_dir, args.anonymous, args.profile)
            t.start()
            try:
                await guarded(progress, out, "idle", scenarios.idle(t, pool, cfg, progress))
            finally:
                await t.aclose()
                t.stop()
                collect_profiles(t, out, "S6", progress)
    elif 3 in sel:
        t = ProjectTarget("project-2proc", 2, db, users, run_id, log_dir, args.anonymous, args.profile)
        progress("project-2proc (two daphne processes sharing Redis): starting")
        t.start()
        try:
            await guarded(progress, out, "two", scenarios.two_processes(t, pool, cfg, progress))
        finally:
            await t.aclose()
            t.stop()
            collect_profiles(t, out, "S3", progress)
    out["server_logs"] = [str(s.log_path) for s in t.servers] if t is not None else []
    return out
