"""``python -m bench [--quick]``: start every server, run the scenarios of issue 6, report."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import traceback
import uuid
from datetime import datetime
from pathlib import Path

from bench import report
from bench.pool import Pool
from bench.project_target import ProjectDatabase, project_prepare, redis_cleanup
from bench.servers import nofile_limit, raise_nofile
from bench.sessions import PLAN, RunContext, run_target
from bench.targets import PROJECT_ROOT, REPO_ROOT

FULL = dict(
    subscribers=1000,
    rate=2.0,
    seconds=10.0,
    drain=15.0,
    burst=50,
    burst_drain=90.0,
    voters=1000,
    vote_spread=1.0,
    watchers=1000,
    write_timeout=30.0,
    rsvps=500,
    capacity=100,
    idle=10000,
    storm_subscribers=1000,
    storm_writers=200,
    storm_posts_each=5,
    storm_drain=30.0,
    reconnect_sockets=3000,
    reconnect_rate=20.0,
    reconnect_seconds=15.0,
    reconnect_drain=30.0,
    kill_after=3.0,
    stall_healthy=20,
    stall_sockets=50,
    stall_posts=10000,
    stall_rate=300.0,  # posts/s: 10,000 in about 33 s
    stall_drain=60.0,
    ceiling_burst=500,
)
QUICK = dict(
    subscribers=300,
    rate=2.0,
    seconds=4.0,
    drain=8.0,
    burst=20,
    burst_drain=30.0,
    voters=300,
    vote_spread=1.0,
    watchers=300,
    write_timeout=15.0,
    rsvps=150,
    capacity=30,
    idle=1000,
    storm_subscribers=300,
    storm_writers=60,
    storm_posts_each=5,
    storm_drain=10.0,
    reconnect_sockets=300,
    reconnect_rate=20.0,
    reconnect_seconds=5.0,
    reconnect_drain=20.0,
    kill_after=2.0,
    stall_healthy=10,
    stall_sockets=50,
    stall_posts=10000,  # the burst: fewer posts never reach a stalled reader's bound
    stall_rate=300.0,
    stall_drain=60.0,
    ceiling_burst=200,
)
ALL_TARGETS = list(PLAN)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller counts, under two minutes")
    ap.add_argument(
        "--targets", default=",".join(ALL_TARGETS), help=f"comma-separated subset of {','.join(ALL_TARGETS)}"
    )
    ap.add_argument(
        "--scenarios",
        default="1,2,3,4,5,6,7,8,9,10",
        help="comma-separated subset of 1-10 (1 and 2 always run together), e.g. --scenarios 7 --profile",
    )
    ap.add_argument("--workers", type=int, default=2, help="load-client processes (default 2)")
    ap.add_argument(
        "--open-concurrency",
        type=int,
        default=64,
        help="handshakes in flight per client process while opening sockets (default 64)",
    )
    ap.add_argument(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="the project's database: a fresh SQLite file (default) or a fresh PostgreSQL database",
    )
    ap.add_argument(
        "--anonymous",
        action="store_true",
        help="project subscribers and watchers connect without a token (default: each is a signed-in user)",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="sample every project server with py-spy; summaries in the JSON and *.pyspy.txt in the logs",
    )
    ap.add_argument("--idle", type=int, help="override the idle-socket count of scenario 6")
    ap.add_argument("--subscribers", type=int, help="override the subscriber count of scenarios 1-3")
    ap.add_argument("--reconnect-sockets", type=int, help="override the socket count of scenario 8")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"), help="results folder")
    return ap.parse_args(argv)


class Progress:
    def __init__(self):
        self.t0 = time.monotonic()

    def __call__(self, msg: str):
        print(f"[{time.monotonic() - self.t0:6.1f}s] {msg}", flush=True)


def git_commit(root=REPO_ROOT) -> str | None:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or None
        )
    except Exception:
        return None


def config_from(args) -> dict:
    cfg = dict(QUICK if args.quick else FULL)
    if args.idle:
        cfg["idle"] = args.idle
    if args.subscribers:
        cfg["subscribers"] = args.subscribers
    if args.reconnect_sockets:
        cfg["reconnect_sockets"] = args.reconnect_sockets
    cfg["scenarios"] = {int(x) for x in args.scenarios.split(",") if x.strip()}
    return cfg


def wanted_targets(args) -> list[str]:
    wanted = [t.strip() for t in args.targets.split(",") if t.strip()]
    for t in wanted:
        if t not in ALL_TARGETS:
            raise SystemExit(f"unknown target {t!r}")
    return wanted


def run_meta(args) -> dict:
    return {
        "commit": git_commit(),
        "project_root": str(PROJECT_ROOT),
        "project_commit": git_commit(PROJECT_ROOT),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "client_workers": args.workers,
        "open_concurrency": args.open_concurrency,
        "db": args.db,
        "anonymous_subscribers": args.anonymous,
        "nofile": nofile_limit(),
        "argv": sys.argv[1:],
        "loadavg_start": os.getloadavg(),
    }


def users_needed(cfg) -> int:
    return 1 + max(
        cfg["subscribers"],
        cfg["watchers"],
        cfg["voters"],
        cfg["rsvps"],
        cfg["idle"],
        cfg["storm_subscribers"],
        cfg["reconnect_sockets"],
        cfg["stall_healthy"] + cfg["stall_sockets"],
    )


async def run_targets(res, wanted, ctx: RunContext):
    """Every wanted target in turn; a target that fails is a result, not the end of the run."""
    try:
        for name in wanted:
            if name.startswith("project") and ctx.db is None:
                try:
                    ctx.db = ProjectDatabase(ctx.args.db, ctx.run_id)
                    ctx.users = project_prepare(ctx.db, users_needed(ctx.cfg), ctx.progress)
                except Exception as exc:
                    ctx.progress(f"project setup failed: {exc}")
                    res["targets"][name] = {"error": f"setup: {exc}"}
                    continue
            try:
                res["targets"][name] = await run_target(name, ctx)
            except Exception as exc:
                ctx.progress(f"{name} failed: {exc}")
                res["targets"][name] = {"error": str(exc), "traceback": traceback.format_exc()}
    finally:
        if ctx.db is not None:
            ctx.db.drop()


def save_and_print(res, out_dir: Path, started: str, progress) -> None:
    json_path = out_dir / f"{started}.json"
    json_path.write_text(json.dumps(res, indent=2, default=str))
    try:
        charts = report.chart(res, out_dir / f"{started}.png")
    except Exception as exc:
        progress(f"chart failed: {exc}")
        charts = []
    print()
    print(report.table(res))
    print()
    print(f"results: {json_path}")
    for path in charts:
        print(f"chart:   {path}")
    print(f"elapsed: {res['elapsed_s']} s")


async def amain(args) -> int:
    progress = Progress()
    raise_nofile()
    cfg = config_from(args)
    wanted = wanted_targets(args)
    # Per process: a server holds every socket of a scenario; each client process a share of them.
    need_fd = max(cfg["idle"], cfg["watchers"] + cfg["voters"], users_needed(cfg)) + 200
    if nofile_limit() < need_fd:
        progress(f"WARNING: open-files limit {nofile_limit()} < {need_fd} needed; raise `ulimit -n`")
    run_id = uuid.uuid4().hex[:6]
    started = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = Path(args.out)
    log_dir = out_dir / f"{started}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    res = {"started": started, "quick": args.quick, "config": cfg, "run_id": run_id, "meta": run_meta(args)}
    res["targets"] = {}
    load1 = os.getloadavg()[0]
    if load1 > 1.0:
        progress(f"NOTE: load average {load1:.1f} before start: other work shares the 2 cores; figures will be noisy")
    progress(
        f"bench {'--quick ' if args.quick else ''}run {run_id}: targets {', '.join(wanted)}; "
        f"{args.workers} client processes; logs in {log_dir}"
    )
    pool = Pool(args.workers, args.open_concurrency)
    await pool.start()
    try:
        await run_targets(res, wanted, RunContext(cfg, pool, run_id, log_dir, progress, args))
    finally:
        await pool.stop()
        try:
            redis_cleanup(run_id)
        except Exception as exc:
            progress(f"(could not clean the run's Redis keys: {exc})")
    res["config"]["scenarios"] = sorted(cfg["scenarios"])
    res["elapsed_s"] = round(time.monotonic() - progress.t0, 1)
    res["meta"]["loadavg_end"] = os.getloadavg()
    res["verdicts"] = report.verdicts(res)
    save_and_print(res, out_dir, started, progress)
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    return asyncio.run(amain(args))
