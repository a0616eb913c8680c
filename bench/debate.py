"""Debate scenario (issue 11): a town-hall meeting under load, on two daphne processes + Redis.

    python -m bench.debate                      # the issue's figures: 1,000 participants, 1,000 watchers
    python -m bench.debate --participants 200 --watchers 200 --seconds 10   # a smoke run

Phase 1 (chat only): a poster posts `--posts-per-s` messages in the room while the watchers
follow it; delivery latency (send → each watcher) gives the baseline p99. Phase 2 (debate): the
same posts, plus participants upvoting at `--upvotes-per-s` (some withdrawing), asking
`--questions-per-s`, raising hands, and a moderator giving the floor every 2 s, each kind of
action at random instants at its rate (`--load-shape poisson`; `ticks` is the earlier shape, all
at once every 100 ms). The watchers live in `--observers` processes of their own, so that the
load the driver sends does not delay their receive times (class Observers). Then:

- exact final state: the ranking every watcher holds equals the database's (HTTP), and each
  question's upvotes equal the upvotes that were answered `ok` minus the withdrawals;
- `questions` frames per second per watcher (target ≤ 5);
- how long after the last upvote's `ok` every watcher holds the exact ranking (target ≤ 500 ms);
- chat p99 in the debate phase against the chat-only phase (target ≤ 1.5×).

Prints a table and writes bench/results/debate-<timestamp>.json. Needs redis-server on PATH;
`--db postgres` uses a fresh database on 127.0.0.1:5432 (user postgres), else a SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import wsclient
from bench.profile import summarise
from bench.servers import Server, free_port, port_accepts, raise_nofile
from realtime.frames import state_frame_apply

ROOT = Path(__file__).resolve().parent.parent
INITIAL_QUESTIONS = 20
FLOOR_EVERY_S = 2.0
# Below this share of idle CPU in the debate phase, the run says the machine was saturated.
SATURATED_BELOW = 0.2


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--participants", type=int, default=1000)
    p.add_argument("--watchers", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    p.add_argument("--upvotes-per-s", type=float, default=100.0)
    p.add_argument("--questions-per-s", type=float, default=2.0)
    p.add_argument("--posts-per-s", type=float, default=2.0)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument(
        "--load-shape",
        choices=["poisson", "ticks"],
        default="poisson",
        help="how the debate's actions are spread in time (see load_schedule)",
    )
    p.add_argument("--observers", type=int, default=2, help="processes holding the watchers (see Observers)")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument(
        "--whole-states",
        action="store_true",
        help="subscribe without `deltas` (every questions frame the whole ranking, as before state deltas)",
    )
    p.add_argument("--profile", action="store_true", help="sample the servers with py-spy during the debate phase")
    return p.parse_args(argv)


class Stack:
    """Redis, a fresh database, N daphne processes."""

    def __init__(self, args, tmp: Path):
        self.tmp = tmp
        self.redis_port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # Required since the public default key was refused (the soak had the same fault).
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-secret-key",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "RATE_LIMIT_PER_SECOND": "100000",
            "RATE_LIMIT_BURST": "100000",
            # Every simulated person connects from 127.0.0.1 (the per-address cap is for the internet).
            "SOCKETS_PER_IP": "1000000",
            "SOCKETS_PER_USER": "1000000",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SCHEDULER_IN_PROCESS": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.pg = None
        if args.db == "postgres":
            self.pg = f"bench_debate_{uuid.uuid4().hex[:8]}"
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f'CREATE DATABASE "{self.pg}"'], check=True
            )
            self.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{self.pg}"
        else:
            self.env.pop("DATABASE_URL", None)
            self.env["SQLITE_PATH"] = str(tmp / "bench.sqlite3")
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        while not port_accepts(self.redis_port):  # bounded by redis-server's start, well under a second
            time.sleep(0.05)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True)
        self.servers = [
            Server(f"debate-{i}", "config.asgi:application", ROOT, self.env, tmp, profile=args.profile)
            for i in range(args.processes)
        ]

    def seed(self, n: int) -> list[tuple[str, str]]:
        out = self.tmp / "users.json"
        subprocess.run([sys.executable, "-m", "bench.seed", str(n), str(out)], cwd=ROOT, env=self.env, check=True)
        return [tuple(pair) for pair in json.loads(out.read_text())]

    def start(self):
        for server in self.servers:
            server.start()

    def http(self, token: str | None = None, index: int = 0) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        port = self.servers[index % len(self.servers)].port
        return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api", headers=headers, timeout=60)

    def stop(self):
        for server in self.servers:
            server.stop()
        self.redis.terminate()
        self.redis.wait(timeout=10)
        if self.pg:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-c",
                    f'DROP DATABASE IF EXISTS "{self.pg}" WITH (FORCE)',
                ],
                check=False,
            )


_REBUILT: dict[tuple[int, bytes], tuple[dict | None, dict]] = {}


def rebuild(held: dict | None, raw: bytes) -> dict:
    """The ranking a socket holds after `raw` (whole, or a delta on `held`), as the browser
    rebuilds it. The sockets of one server process get the same frames in the same order, so the
    same (held, frame) is rebuilt once for all of them (this one load client plays 2,000 phones)."""
    key = (id(held), raw)
    hit = _REBUILT.get(key)
    if hit is not None and hit[0] is held:
        return hit[1]
    frame = json.loads(raw)
    data = state_frame_apply(held, frame)
    assert data is not None, "a delta whose base this socket does not hold"
    if len(_REBUILT) > 10_000:
        _REBUILT.clear()
    _REBUILT[key] = (held, data)  # holds `held`, so its id names no other object meanwhile
    return data


class Client:
    """One socket on the bench's own raw-asyncio client (`bench.wsclient`: one callback per frame,
    no task or coroutine, so the load client keeps up with the watchers' frames). Watchers keep
    counts, arrival times and the ranking they hold, rebuilt from deltas as the browser does;
    participants only count their `questions` frames."""

    def __init__(self, *, watcher: bool):
        self.ws = None
        self.watcher = watcher
        self.replies: dict[str, asyncio.Future] = {}
        self.questions_frames: list[float] = []
        self.questions: dict | None = None  # the ranking held, rebuilt from deltas as the browser does
        self.questions_bytes = 0
        self.queue_frames = 0  # the floor's `queue` states this watcher got, and their bytes
        self.queue_bytes = 0
        self.last_questions_at = 0.0
        self.posts_seen: dict[str, float] = {}
        self.server = 0  # which server process it is connected to

    def on_message(self, ws, raw: bytes, now: float) -> None:
        head = raw[:120]
        if b'"kind":"questions"' in head:
            self.questions_frames.append(now)
            self.questions_bytes += len(raw)
            if self.watcher:  # participants only count theirs
                self.questions, self.last_questions_at = rebuild(self.questions, raw), now
            return
        if b'"kind":"queue"' in head:
            self.queue_frames += 1
            self.queue_bytes += len(raw)
            return
        if b'"kind":"message.posted"' in raw:
            self.posts_seen[json.loads(raw)["data"]["body"]] = now
            return
        if b'"ref"' in raw and (
            b'"type":"ok"' in raw[:12] or b'"type":"error"' in raw[:15] or b'"subscribed"' in raw[:25]
        ):
            frame = json.loads(raw)
            future = self.replies.pop(frame.get("ref"), None)
            if future is not None and not future.done():
                future.set_result(frame)

    async def request(self, frame: dict) -> dict:
        ref = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self.replies[ref] = future
        self.ws.send_text(json.dumps({**frame, "ref": ref}))
        return await asyncio.wait_for(future, 120)

    async def close(self):
        if self.ws is not None:
            self.ws.close()


async def open_clients(
    ports: list[int], tokens, *, watcher: bool, topics: list[str], deltas: bool = False, first: int = 0
) -> list[Client]:
    """One client per token, the i-th (counting from `first`) on server i mod the number of servers."""
    sem = asyncio.Semaphore(64)

    async def one(i, token):
        async with sem:
            headers = {"Authorization": f"Bearer {token}"} if token else None
            client = Client(watcher=watcher)
            client.server = (first + i) % len(ports)
            port = ports[client.server]
            client.ws = await wsclient.connect("127.0.0.1", port, "/ws/", headers, client.on_message, timeout=60)
            for topic in topics:
                await client.request({"type": "subscribe", "topic": topic, "deltas": deltas})
            return client

    return await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))


class LoopLag:
    """How late this client's own event loop runs (a 10 ms ticker's overshoot): when the load
    client is saturated, its receive times include that delay, which is not the server's."""

    def __init__(self):
        self.samples: list[float] = []
        self.task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self):
        while True:
            at = time.monotonic()
            await asyncio.sleep(0.01)
            self.samples.append(time.monotonic() - at - 0.01)

    def take(self) -> list[float]:
        out, self.samples = self.samples, []
        return out


def quiet_gc() -> None:
    """No garbage collection in a load client while it measures: a full collection over two
    thousand sockets' objects stops its loop for tens of milliseconds, which its receive times
    would count as the server's. What the client allocates in two phases fits in memory."""
    gc.collect()
    gc.freeze()
    gc.disable()


class Observers:
    """The watchers, in `--observers` processes of their own. A watcher stamps each frame when its
    loop reads it; one load client that also plays the 1,000 participants (and 25,000 frames/s of
    the debate to the watchers) stamps late whenever its loop is busy, and that lateness is the
    client's, not the server's. Each observer process holds a block of watchers (spread over the
    servers as before) and answers the driver's questions over a pipe; time.monotonic() is the
    same clock in every process of the machine."""

    def __init__(self, count: int, processes: int, ports: list[int], topics: list[str], deltas: bool):
        ctx = multiprocessing.get_context("spawn")
        bounds = [count * k // processes for k in range(processes + 1)]
        self.pipes = []
        self.procs = []
        for k in range(processes):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(
                target=observer_main,
                args=(theirs, ports, bounds[k], bounds[k + 1] - bounds[k], topics, deltas),
                daemon=True,
            )
            proc.start()
            theirs.close()  # the child holds it now: if the child dies, recv() here ends (EOFError)
            self.pipes.append(mine)
            self.procs.append(proc)

    async def _replies(self) -> list:
        """One message from every observer, in order (waited off the loop)."""
        return await asyncio.gather(*(asyncio.to_thread(pipe.recv) for pipe in self.pipes))

    async def ready(self):
        for reply in await self._replies():
            if reply != "ready":
                raise RuntimeError(f"an observer could not open its watchers: {reply!r}")

    async def ask(self, command: str, *args) -> list:
        """Send one command to every observer; their replies, in order."""
        for pipe in self.pipes:
            pipe.send((command, args))
        replies = await self._replies()
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
        return replies

    async def close(self):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ask("close"), 10)
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def observer_main(pipe, ports, first, count, topics, deltas):
    asyncio.run(_observe(pipe, ports, first, count, topics, deltas))


async def _observe(pipe, ports, first, count, topics, deltas):
    raise_nofile()
    loop = asyncio.get_running_loop()
    try:
        watchers = await open_clients(ports, [None] * count, watcher=True, topics=topics, deltas=deltas, first=first)
    except BaseException as exc:  # noqa: BLE001 - reported to the driver, which stops the run
        pipe.send(exc)
        return
    quiet_gc()
    lag = LoopLag()
    pipe.send("ready")
    while True:
        command, args = await loop.run_in_executor(None, pipe.recv)
        try:
            reply = await _observer_command(watchers, lag, command, *args)
        except BaseException as exc:  # noqa: BLE001
            reply = exc
        pipe.send(reply)
        if command == "close":
            return


async def _observer_command(watchers: list[Client], lag: LoopLag, command: str, *args):
    if command == "stats":  # at a phase's boundary: this process's CPU and loop lag since the last
        (new_phase,) = args
        if new_phase:
            for w in watchers:
                w.questions_frames.clear()
        return {"cpu": time.process_time(), "lag": lag.take(), **wsclient.COUNTS}
    if command == "posts":  # when each watcher saw each post (None: not within 30 s)
        (bodies,) = args
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(all(b in w.posts_seen for b in bodies) for w in watchers):
            await asyncio.sleep(0.1)  # waiting for stragglers of a load test, bounded
        return [[(w.server, w.posts_seen.get(b)) for w in watchers] for b in bodies]
    if command == "questions":  # the ranking each watcher holds once it reached the final version
        (final,) = args
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            w.questions is None or w.questions["version"] < final["version"] for w in watchers
        ):
            await asyncio.sleep(0.05)  # bounded wait for the coalesced last frame
        return {
            "exact": all(w.questions == final for w in watchers),
            "last_at": max(w.last_questions_at for w in watchers),
            "frames": [w.questions_frames for w in watchers],
            "bytes": sum(w.questions_bytes for w in watchers),
            "queue_frames": sum(w.queue_frames for w in watchers),
            "queue_bytes": sum(w.queue_bytes for w in watchers),
        }
    if command == "close":
        for w in watchers:
            await w.close()
        return None
    raise ValueError(f"unknown observer command {command!r}")


def messages_per_read(before: list[dict], after: list[dict]) -> float | None:
    """Messages per read over every observer in one phase (from their "stats" replies)."""
    reads = sum(b["reads"] - a["reads"] for a, b in zip(before, after, strict=True))
    messages = sum(b["messages"] - a["messages"] for a, b in zip(before, after, strict=True))
    return round(messages / reads, 2) if reads else None


def client_cpu(driver: float, before: list[dict], after: list[dict]) -> list[float]:
    """CPU seconds of one phase: the driver's, then each observer's (from its "stats" replies)."""
    return [round(driver, 1)] + [round(b["cpu"] - a["cpu"], 1) for a, b in zip(before, after, strict=True)]


def seconds_between(before: list[float | None], after: list[float | None]) -> list[float | None]:
    """Per server, a counter's seconds during a phase (None where the kernel does not count it)."""
    return [None if a is None or b is None else round(b - a, 1) for a, b in zip(before, after, strict=True)]


def client_lag(stat, driver: list[float], observed: list[dict]) -> list[float]:
    """`stat` (p99, max) of one phase's loop lag in ms: the driver's, then each observer's."""
    return [round(stat(lags) * 1000, 1) for lags in [driver, *(o["lag"] for o in observed)]]


def machine_idle() -> tuple[float, float]:
    """(idle, total) jiffies of the whole machine, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[3] + fields[4], sum(fields)


def idle_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    return round((after[0] - before[0]) / max(after[1] - before[1], 1e-9), 2)


async def server_latencies(stack) -> dict[str, dict[float, float] | dict[str, float] | float]:
    """What every server's `/metrics` says, summed over the servers, from one read each. Four
    histograms, cumulative buckets by upper bound: `post`, socket posts frame received → reply
    sent (`cl_write_seconds`); `db_wait`, the wait for a database thread
    (`cl_db_pool_wait_seconds`); `gc_full`, the full garbage collections
    (`cl_gc_pause_seconds{generation="2"}`); `loop_lag`, how late the event loops woke a timer
    (`cl_event_loop_lag_seconds`). And `frames`, the frames sent to sockets by kind
    (`cl_frames_sent`); `gc_seconds`, the seconds stopped by collections of every generation."""
    wanted = {
        "post": ("cl_write_seconds_bucket", {"command": "post"}),
        "db_wait": ("cl_db_pool_wait_seconds_bucket", {}),
        "gc_full": ("cl_gc_pause_seconds_bucket", {"generation": "2"}),
        "loop_lag": ("cl_event_loop_lag_seconds_bucket", {}),
    }
    total: dict = {key: {} for key in [*wanted, "frames", "stages", "computes"]}
    total["gc_seconds"] = 0.0
    async with httpx.AsyncClient(timeout=30) as http:
        for server in stack.servers:
            text = (await http.get(f"http://127.0.0.1:{server.port}/metrics")).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == "cl_frames_sent_total":
                        kind = sample.labels["kind"]
                        total["frames"][kind] = total["frames"].get(kind, 0.0) + sample.value
                    if sample.name == "cl_gc_pause_seconds_sum":
                        total["gc_seconds"] += sample.value
                    if sample.name == "cl_state_computes_total":
                        outcome = sample.labels["outcome"]
                        total["computes"][outcome] = total["computes"].get(outcome, 0.0) + sample.value
                    stage_add(total["stages"], sample)
                    for key, (name, labels) in wanted.items():
                        if sample.name == name and labels.items() <= sample.labels.items():
                            bound = float(sample.labels["le"])  # "+Inf" parses as inf
                            total[key][bound] = total[key].get(bound, 0.0) + sample.value
    return total


def stage_add(stages: dict[str, list[float]], sample) -> None:
    """Add a sample's sum or count to its stage's [seconds, count] (`room.queued`, … from
    `cl_write_stage_seconds{stage,kind}`: `room` is the chat; the fan-out as `fanout`); other
    samples are not stages."""
    if sample.name in ("cl_write_stage_seconds_sum", "cl_write_stage_seconds_count"):
        stage = f"{sample.labels['kind']}.{sample.labels['stage']}"
    elif sample.name in ("cl_fanout_seconds_sum", "cl_fanout_seconds_count"):
        stage = "fanout"
    else:
        return
    stages.setdefault(stage, [0.0, 0.0])[0 if sample.name.endswith("_sum") else 1] += sample.value


def stage_means(before: dict, after: dict) -> dict[str, float]:
    """Mean milliseconds of each stage observed between two reads, all servers together, by the
    writes' topic kind (`room.*`: the chat's posts; `debate.*`: questions and upvotes)."""
    means = {}
    for stage, (total, count) in after["stages"].items():
        was_total, was_count = before["stages"].get(stage, (0.0, 0.0))
        if count > was_count:
            means[stage] = round((total - was_total) / (count - was_count) * 1000, 2)
    return means


def bucket_p99(before: dict[float, float], after: dict[float, float]) -> str:
    """The histogram bucket that holds the 99th percentile of what was observed in between."""
    counts = {b: after.get(b, 0.0) - before.get(b, 0.0) for b in after}
    n = counts.get(float("inf"), 0.0)
    if not n:
        return "none"
    for bound in sorted(counts):
        if counts[bound] >= 0.99 * n:
            return f"≤ {bound * 1000:g} ms (of {int(n)})"
    return "?"


def frame_rates(before: dict, after: dict, seconds: float) -> dict[str, int]:
    """Frames sent to sockets per second by kind, all servers together, between two reads."""
    frames = {kind: (n - before["frames"].get(kind, 0.0)) / seconds for kind, n in after["frames"].items()}
    return {kind: round(rate) for kind, rate in sorted(frames.items()) if rate >= 0.5}


def gc_stopped(before: dict, after: dict) -> float:
    """Seconds the servers stood still collecting garbage between two reads, all together."""
    return round(after["gc_seconds"] - before["gc_seconds"], 2)


def p99(values: list[float]) -> float | None:
    if len(values) < 2:
        return max(values) if values else None
    return statistics.quantiles(values, n=100)[98]


async def chat_phase(
    poster: Client, observers: Observers, room: str, seconds: float, rate: float, tag: str
) -> tuple[list[float], list[float], list]:
    sent: dict[str, float] = {}
    n = int(seconds * rate)
    start = time.monotonic()
    answered: list[asyncio.Future] = []

    async def post(body: str) -> float:
        at = time.monotonic()
        await poster.request({"type": "post", "topic": room, "body": body})
        return time.monotonic() - at

    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        body = f"{tag}-{i}-{uuid.uuid4().hex[:6]}"
        sent[body] = time.monotonic()
        answered.append(asyncio.ensure_future(post(body)))
    oks = await asyncio.gather(*answered)
    seen = [sum(times, []) for times in zip(*await observers.ask("posts", list(sent)), strict=True)]
    per_post = [
        (ok, sorted(at - t for _, at in times if at is not None), t, times)
        for (_, t), ok, times in zip(sent.items(), oks, seen, strict=True)
    ]
    return [d for _, seen, *_ in per_post for d in seen], oks, per_post


def chat_path(per_post: list, poster_server: int) -> dict[str, list[int]]:
    """Where a post's time goes, median and 90th percentile over the posts, in ms: the poster's
    `ok` (the write path), the first watcher on the poster's server (the write, then the local
    fan-out), the first watcher on another server (then Redis, and that server's dispatcher), the
    median and last watcher."""
    columns: dict[str, list[float]] = {"ok": [], "first_local": [], "first_remote": [], "median": [], "last": []}
    for ok, seen, t, times in per_post:
        local = [at - t for server, at in times if at is not None and server == poster_server]
        remote = [at - t for server, at in times if at is not None and server != poster_server]
        if not (local and seen):
            continue
        for name, value in (
            ("ok", ok),
            ("first_local", min(local)),
            ("first_remote", min(remote) if remote else None),
            ("median", seen[len(seen) // 2]),
            ("last", seen[-1]),
        ):
            if value is not None:  # one server: no remote watcher
                columns[name].append(value)
    out = {}
    for name, values in columns.items():
        values.sort()
        out[name] = (
            [round(values[len(values) // 2] * 1000), round(values[len(values) * 9 // 10] * 1000)] if values else []
        )
    return out


def slowest_posts(per_post: list, n: int = 3) -> list[list[float]]:
    """The `n` posts whose median watcher got them last: [poster's ok, first, median, last watcher]
    in ms, then the post's number in its phase (0: sent as the phase began). A late first watcher
    is the write path (commit, publish); a wide spread is the fan-out."""
    rows = [(seen[len(seen) // 2], ok, seen, i) for i, (ok, seen, *_) in enumerate(per_post) if seen]
    return [
        [round(v * 1000) for v in (ok, seen[0], median, seen[-1])] + [i]
        for median, ok, seen, i in sorted(rows, key=lambda row: row[0], reverse=True)[:n]
    ]


HANDS_PER_S = 5.0


def load_schedule(args, rng: random.Random, actions: dict) -> list[tuple[float, object]]:
    """When each action of the debate load happens, in seconds from its start, sorted.

    `poisson` (the default): a thousand people and a moderator acting on their own, each kind of
    action a Poisson process at its rate (upvotes, questions, hands, and the moderator's
    `floor_next` once per FLOOR_EVERY_S on average). The floor once changed every FLOOR_EVERY_S
    exactly: with the chat's posts every 500 ms, every fourth post then met a floor change at the
    same instant of its way, run after run (a quarter of the posts 20-40 ms slower, the run's p99
    decided by where that instant fell); a moderator and a chat are not in step.

    `ticks` (the shape of the first measurements): every 100 ms at once, ten upvotes, maybe a
    question and a hand, and `floor_next` every 20th tick; the chat's posts (every 500 ms from the
    same instant) then always leave with such a burst."""
    seconds = args.seconds
    plan: list[tuple[float, object]] = []
    if args.load_shape == "ticks":
        for tick in range(int(seconds * 10)):
            at = tick / 10
            upvotes = int(args.upvotes_per_s / 10) + (rng.random() < (args.upvotes_per_s / 10) % 1)
            plan += [(at, actions["upvote"])] * upvotes
            if rng.random() < args.questions_per_s / 10:
                plan.append((at, actions["ask"]))
            if rng.random() < HANDS_PER_S / 10:
                plan.append((at, actions["hand"]))
            if tick % int(FLOOR_EVERY_S * 10) == 0:
                plan.append((at, actions["floor"]))
        return plan
    rates = (
        ("upvote", args.upvotes_per_s),
        ("ask", args.questions_per_s),
        ("hand", HANDS_PER_S),
        ("floor", 1 / FLOOR_EVERY_S),
    )
    for name, rate in rates:
        if rate <= 0:  # a probe without this kind of action (--upvotes-per-s 0)
            continue
        at = rng.expovariate(rate)
        while at < seconds:
            plan.append((at, actions[name]))
            at += rng.expovariate(rate)
    return sorted(plan, key=lambda step: step[0])


async def debate_load(
    args, participants: list[Client], moderator: Client, room_id: int, question_ids: list[int]
) -> dict:
    topic, floor = f"debate:{room_id}", f"floor:{room_id}"
    upvoted: list[set[int]] = [set() for _ in participants]
    accepted: dict[int, int] = dict.fromkeys(question_ids, 0)
    last_ok = [0.0]
    tasks = []
    rng = random.Random(11)

    async def upvote(i: int):
        mine = upvoted[i]
        if mine and rng.random() < 0.1:
            q = rng.choice(sorted(mine))
            mine.discard(q)
            reply = await participants[i].request({"type": "unvote", "topic": topic, "question": q})
            delta = -1
        else:
            q = rng.choice(question_ids)
            if q in mine:
                return
            mine.add(q)
            reply = await participants[i].request({"type": "upvote", "topic": topic, "question": q})
            delta = 1
        if reply["type"] == "ok":
            accepted[q] = accepted.get(q, 0) + delta
            last_ok[0] = max(last_ok[0], time.monotonic())

    async def ask(i: int):
        reply = await participants[i].request(
            {"type": "ask", "topic": topic, "body": f"Question {uuid.uuid4().hex[:8]} ?"}
        )
        if reply["type"] == "ok":
            question_ids.append(reply["data"]["id"])
            accepted[reply["data"]["id"]] = 0

    async def hand(i: int):
        await participants[i].request({"type": "raise_hand", "topic": floor})

    def floor_next(_: int):
        return moderator.request({"type": "floor_next", "topic": floor})

    start = time.monotonic()
    for at, action in load_schedule(args, rng, {"upvote": upvote, "ask": ask, "hand": hand, "floor": floor_next}):
        await asyncio.sleep(max(0.0, start + at - time.monotonic()))
        tasks.append(asyncio.ensure_future(action(rng.randrange(len(participants)))))
    await asyncio.gather(*tasks)
    return {"accepted": accepted, "last_ok": last_ok[0], "started": start, "writes": len(tasks)}


async def amain(args) -> int:
    raise_nofile()
    tmp = Path(tempfile.mkdtemp(prefix="bench-debate-"))
    stack = Stack(args, tmp)
    users = stack.seed(args.participants + 2)
    (_, moderator_token), (_, poster_token), people = users[0], users[1], users[2:]
    stack.start()
    clients: list[Client] = []
    observers = None
    try:
        async with stack.http(moderator_token) as http:
            room = (await http.post("/rooms", json={"name": "Assemblée du bench"})).json()
            room_id = room["id"]
            question_ids = [
                (await http.post(f"/debates/{room_id}/questions", json={"body": f"Question initiale {n} ?"})).json()[
                    "id"
                ]
                for n in range(INITIAL_QUESTIONS)
            ]
        topics = [f"room:{room_id}", f"debate:{room_id}", f"floor:{room_id}"]
        print(f"connecting {args.watchers} watchers and {args.participants} participants …", flush=True)
        deltas = not args.whole_states  # as the browser subscribes
        ports = [server.port for server in stack.servers]
        observers = Observers(args.watchers, args.observers, ports, topics, deltas)
        participants = await open_clients(
            ports, [t for _, t in people], watcher=False, topics=[f"debate:{room_id}"], deltas=deltas
        )
        (moderator,) = await open_clients(ports, [moderator_token], watcher=False, topics=[])
        (poster,) = await open_clients(ports, [poster_token], watcher=False, topics=[])
        clients = [*participants, moderator, poster]
        await observers.ready()
        quiet_gc()

        print(f"phase 1: chat only, {args.seconds:.0f}s", flush=True)
        lag_meter = LoopLag()
        cpu_at = [s.cpu_seconds() for s in stack.servers]
        waited_at = [s.runqueue_wait_seconds() for s in stack.servers]
        client_at, idle_at = time.process_time(), machine_idle()
        observed_at = await observers.ask("stats", False)
        latencies_at = await server_latencies(stack)
        lag_meter.take()
        chat_only, chat_only_ok, chat_only_posts = await chat_phase(
            poster, observers, f"room:{room_id}", args.seconds, args.posts_per_s, "chat"
        )
        chat_only_lag = lag_meter.take()
        latencies_mid = await server_latencies(stack)
        cpu_mid = [s.cpu_seconds() for s in stack.servers]
        waited_mid = [s.runqueue_wait_seconds() for s in stack.servers]
        client_mid, idle_mid = time.process_time(), machine_idle()
        observed_mid = await observers.ask("stats", True)  # the debate's questions frames from here
        print(f"phase 2: debate, {args.seconds:.0f}s", flush=True)
        chat_task = asyncio.ensure_future(
            chat_phase(poster, observers, f"room:{room_id}", args.seconds, args.posts_per_s, "debate")
        )
        for server in stack.servers:
            server.profile_begin("debate")
        load = await debate_load(args, participants, moderator, room_id, question_ids)
        chat_debate, chat_debate_ok, chat_debate_posts = await chat_task
        debate_lag = lag_meter.take()
        lag_meter.task.cancel()
        latencies_end = await server_latencies(stack)
        cpu_end = [s.cpu_seconds() for s in stack.servers]
        waited_end = [s.runqueue_wait_seconds() for s in stack.servers]
        client_end, idle_end = time.process_time(), machine_idle()
        observed_end = await observers.ask("stats", False)
        profiles = [server.profile_end() for server in stack.servers]

        async with stack.http() as http:
            final = (await http.get(f"/debates/{room_id}/questions")).json()
        exact_counts = {q["id"]: q["upvotes"] for q in final["items"]} == {
            q: n for q, n in load["accepted"].items() if q in {i["id"] for i in final["items"]}
        } and len(final["items"]) == len(load["accepted"])
        held = await observers.ask("questions", final)
        exact_everywhere = all(h["exact"] for h in held)
        # None: no upvote was answered `ok` (a probe with --upvotes-per-s 0), nothing to wait for.
        lag = max(h["last_at"] for h in held) - load["last_ok"] if load["last_ok"] else None
        frames = [f for h in held for f in h["frames"]]
        duration = max(f[-1] for f in frames if f) - load["started"]
        rates = [len(f) / max(duration, 1e-9) for f in frames]
        base, during = p99(chat_only), p99(chat_debate)
        result = {
            "participants": args.participants,
            "watchers": args.watchers,
            "processes": args.processes,
            "load_shape": args.load_shape,
            "db": args.db,
            "seconds": args.seconds,
            "debate_writes": load["writes"],
            "exact_counts_db_vs_accepted": exact_counts,
            "exact_ranking_every_watcher": exact_everywhere,
            "questions_frames_per_s_max": round(max(rates), 2),
            "state_deltas": not args.whole_states,
            "questions_frame_bytes_mean": round(sum(h["bytes"] for h in held) / max(sum(map(len, frames)), 1)),
            "queue_frame_bytes_mean": round(
                sum(h["queue_bytes"] for h in held) / max(sum(h["queue_frames"] for h in held), 1)
            ),
            "ranking_lag_after_last_ok_ms": round(lag * 1000, 1) if lag is not None else None,
            "chat_p99_ms_chat_only": round(base * 1000, 1) if base else None,
            "chat_p99_ms_debate": round(during * 1000, 1) if during else None,
            "chat_p99_ratio": round(during / base, 2) if base and during else None,
            # The poster's own `ok` (the write path alone, before fan-out), same phases.
            "chat_ok_p99_ms_chat_only": round(p99(chat_only_ok) * 1000, 1),
            "chat_ok_p99_ms_debate": round(p99(chat_debate_ok) * 1000, 1),
            # The slowest posts: [ok, first, median, last watcher] ms, post number (write path or fan-out?).
            "chat_slowest_posts_ms_chat_only": slowest_posts(chat_only_posts),
            "chat_slowest_posts_ms_debate": slowest_posts(chat_debate_posts),
            # Median and 90th percentile of each step of a post's way (see chat_path).
            "chat_path_ms_chat_only": chat_path(chat_only_posts, poster.server),
            "chat_path_ms_debate": chat_path(chat_debate_posts, poster.server),
            # Where the time goes: the servers' own post latency (frame received → reply sent,
            # histogram bucket), their CPU per phase, and this load client's own loop lag.
            "server_post_p99_chat_only": bucket_p99(latencies_at["post"], latencies_mid["post"]),
            "server_post_p99_debate": bucket_p99(latencies_mid["post"], latencies_end["post"]),
            "server_db_wait_p99_chat_only": bucket_p99(latencies_at["db_wait"], latencies_mid["db_wait"]),
            "server_db_wait_p99_debate": bucket_p99(latencies_mid["db_wait"], latencies_end["db_wait"]),
            "server_loop_lag_p99_chat_only": bucket_p99(latencies_at["loop_lag"], latencies_mid["loop_lag"]),
            "server_loop_lag_p99_debate": bucket_p99(latencies_mid["loop_lag"], latencies_end["loop_lag"]),
            "server_gc_full_p99_chat_only": bucket_p99(latencies_at["gc_full"], latencies_mid["gc_full"]),
            "server_gc_full_p99_debate": bucket_p99(latencies_mid["gc_full"], latencies_end["gc_full"]),
            "server_gc_stopped_s_chat_only": gc_stopped(latencies_at, latencies_mid),
            "server_gc_stopped_s_debate": gc_stopped(latencies_mid, latencies_end),
            # Where the servers' writes spend their time, mean ms per stage (cl_write_stage_seconds:
            # queued, turn, run, answered) and per event fan-out (cl_fanout_seconds).
            "server_write_stages_ms_chat_only": stage_means(latencies_at, latencies_mid),
            "server_write_stages_ms_debate": stage_means(latencies_mid, latencies_end),
            # Snapshots computed per second, all servers: one process per topic and interval
            # (`computed`); `deferred`, asked while another process held the topic's claim.
            "server_state_computes_per_s_debate": {
                outcome: round((n - latencies_mid["computes"].get(outcome, 0.0)) / args.seconds, 1)
                for outcome, n in sorted(latencies_end["computes"].items())
            },
            "server_frames_per_s_chat_only": frame_rates(latencies_at, latencies_mid, args.seconds),
            "server_frames_per_s_debate": frame_rates(latencies_mid, latencies_end, args.seconds),
            "server_cpu_s_chat_only": seconds_between(cpu_at, cpu_mid),
            "server_cpu_s_debate": seconds_between(cpu_mid, cpu_end),
            # Seconds the servers' threads were ready to run but waited for a core (run queue):
            # what the scheduler adds to every step of a post's way when the machine is busy.
            "server_runqueue_wait_s_chat_only": seconds_between(waited_at, waited_mid),
            "server_runqueue_wait_s_debate": seconds_between(waited_mid, waited_end),
            # The load client: the driver (poster, participants, moderator) and the observers.
            "client_cpu_s_chat_only": client_cpu(client_mid - client_at, observed_at, observed_mid),
            "client_cpu_s_debate": client_cpu(client_end - client_mid, observed_mid, observed_end),
            "machine_idle_share_chat_only": idle_share(idle_at, idle_mid),
            "machine_idle_share_debate": idle_share(idle_mid, idle_end),
            "client_loop_lag_p99_ms_chat_only": client_lag(p99, chat_only_lag, observed_mid),
            "client_loop_lag_p99_ms_debate": client_lag(p99, debate_lag, observed_end),
            "client_loop_lag_max_ms_chat_only": client_lag(max, chat_only_lag, observed_mid),
            "client_loop_lag_max_ms_debate": client_lag(max, debate_lag, observed_end),
            # The watchers' messages per read from the kernel: above 1 where a server wrote a
            # socket's frames together (the state ticks), or where a watcher read late.
            "watcher_messages_per_read_chat_only": messages_per_read(observed_at, observed_mid),
            "watcher_messages_per_read_debate": messages_per_read(observed_mid, observed_end),
        }
        targets = {
            "exact final state": exact_counts and exact_everywhere,
            "≤ 5 questions frames/s per watcher": max(rates) <= 5,
            "exact ranking ≤ 500 ms after last ok": None if lag is None else lag <= 0.5,
            "chat p99 ≤ 1.5× chat-only": bool(base and during and during <= 1.5 * base),
        }
        for key, value in result.items():
            print(f"  {key:36} {value}")
        for name, ok in targets.items():
            print(f"  {'n/a ' if ok is None else 'PASS' if ok else 'FAIL'}  {name}")
        idle = result["machine_idle_share_debate"]
        if idle < SATURATED_BELOW:
            # Servers, load clients and Redis share the machine's cores: with no core left over,
            # a post waits for the scheduler as much as for the servers (bench/README.md).
            print(f"  note: the machine was {round(100 * (1 - idle))} % busy in the debate phase; the chat")
            print("        ratio then measures the machine as much as the servers")
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"debate-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps({"result": result, "targets": targets}, indent=2, ensure_ascii=False))
        print(f"written {path}")
        for files in filter(None, profiles):
            summary = summarise(files[0], 15)
            print(f"profile {files[0]} ({summary['busy_samples']} busy samples), project frames:")
            for frame, share in summary["project_inclusive"]:
                print(f"  {share:5.1f}  {frame}")
        return 0
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        if observers is not None:
            await observers.close()
        stack.stop()


def main(argv=None) -> int:
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
