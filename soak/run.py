"""Soak: hours of ordinary life compressed into minutes, watched for leaks and lost events.

Two daphne processes share Redis and a fresh database (tests/live.py's LiveStack, the
scaled-out shape). A mixed load runs against them for the whole run:

- posters write in the rooms; watchers on both processes time each delivery (p99 per window);
- voters change their vote, RSVPers move between going and declined (a small event, so the
  waitlist moves too);
- reconnectors drop their socket every few seconds and resume with `since`;
- stalled readers subscribe to the busiest room from 0 and stop reading; the server must
  close them with 4008 (bounded outbound buffer) and they come back with `since`.

Every SAMPLE_SECONDS the RSS of each server process and the window's p99 delivery latency are
recorded (artifacts/soak/soak.csv) and plotted (artifacts/soak/soak.png). The run fails (exit 1)
if a watcher or reconnector missed or duplicated a seq, if the database holds a different
number of messages than the posters were told `ok`, or if RSS grew after warm-up by more than
GROWTH_LIMIT_MIB (slope of a least-squares line over the post-warm-up samples x its duration).

    python -m soak --quick        # ~4 minutes (make soak)
    python -m soak --minutes 30   # the full run (make soak-full)
    python -m soak --burst        # 50 stalled subscribers during a 10,000-message burst (soak/burst.py)
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import socket
import statistics
import time
from collections import defaultdict
from pathlib import Path

from bench.wsclient import WSClientProtocol, connect
from tests.live import LiveStack

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "artifacts" / "soak"
SAMPLE_SECONDS = 5.0
GROWTH_LIMIT_MIB = 20.0
ROOMS, EVENTS, PROPOSALS = 3, 2, 2
POSTERS, WATCHERS, VOTERS, RSVPERS, RECONNECTORS, STALLED = 6, 6, 8, 8, 4, 2

SEED = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import Token, User
from discussions.services import room_create
from events.services import event_create
from proposals.services import proposal_create
from events.inputs import EventIn
from proposals.inputs import ProposalIn
from realtime.schemas import input_parse
owner = User.objects.create(username="soak-owner", password="!")
rooms = [room_create(creator=owner, name=f"Salon {{i}}", visibility="public") for i in range({rooms})]
starts = timezone.now() + timedelta(days=2)
events = [event_create(creator=owner, event=input_parse(EventIn, {{"title": f"Fête {{i}}", "starts_at": starts,
                       "ends_at": starts + timedelta(hours=3), "capacity": 4}})) for i in range({events})]
proposals = [proposal_create(author=owner, proposal=input_parse(ProposalIn, {{"room": rooms[0]["id"],
                             "title": f"Proposition {{i}}", "body": "Pour ou contre ?", "can_change": True}}))
             for i in range({proposals})]
print(json.dumps({{"rooms": [r["topic"] for r in rooms], "events": [e["topic"] for e in events],
                  "proposals": [p["topic"] for p in proposals]}}))
"""
HEADS = """
from realtime.event_log import topic_heads
print(json.dumps(topic_heads({rooms!r})))
"""
COUNT_MESSAGES = """
from discussions.models import Message
print(json.dumps(Message.objects.count()))
"""


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.ok = defaultdict(int)
        self.errors = defaultdict(int)
        self.closes = defaultdict(int)
        self.problems: list[str] = []


class Client:
    """A socket through bench/wsclient.py, with request/reply by ref and per-topic seq tracking."""

    def __init__(self, stack: LiveStack, index: int, token: str, stats: Stats, check_topics=(), measure=False) -> None:
        self.stack, self.index, self.token, self.stats = stack, index, token, stats
        self.measure = measure  # only live watchers time deliveries (replays are old by nature)
        self.check_topics = set(check_topics)
        self.last_seq: dict[str, int] = {}
        self.waiting: dict[str, asyncio.Future] = {}
        self.proto = None
        self.counter = 0

    async def open(self, receive_buffer: int | None = None) -> None:
        port = self.stack.ports[self.index]
        headers = {"Authorization": f"Bearer {self.token}"}
        if receive_buffer is None:
            self.proto = await connect("127.0.0.1", port, "/ws/", headers=headers, on_message=self.on_message)
            return
        # A small kernel buffer, so a client that stops reading is felt by the server at once.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        raw.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(raw, ("127.0.0.1", port))
        _, self.proto = await loop.create_connection(
            lambda: WSClientProtocol(f"127.0.0.1:{port}", "/ws/", headers, self.on_message), sock=raw
        )
        await asyncio.wait_for(self.proto.handshake, 15)

    def on_message(self, proto, payload: bytes, received_at: float) -> None:
        frame = json.loads(payload)
        kind = frame.get("type")
        if kind == "event":
            topic, seq = frame["topic"], frame["seq"]
            last = self.last_seq.get(topic)
            if topic in self.check_topics and last is not None and seq != last + 1:
                self.stats.problems.append(f"{topic}: got seq {seq} after {last}")
            self.last_seq[topic] = max(seq, last or 0)
            body = frame["data"].get("body") if frame.get("kind") == "message.posted" else None
            if self.measure and isinstance(body, str) and body.startswith("t="):
                self.stats.latencies.append(time.time() - float(body[2:].split(" ", 1)[0]))
        elif kind == "subscribed":
            self.last_seq.setdefault(frame["topic"], frame["seq"])
        ref = frame.get("ref")
        if ref in self.waiting and kind in ("ok", "error", "subscribed", "pong"):
            self.waiting.pop(ref).set_result(frame)

    async def request(self, frame: dict, timeout: float = 30.0) -> dict:
        self.counter += 1
        ref = f"r{self.counter}-{random.getrandbits(32)}"
        future = asyncio.get_running_loop().create_future()
        self.waiting[ref] = future
        self.proto.send_text(json.dumps({**frame, "ref": ref}))
        try:
            reply = await asyncio.wait_for(future, timeout)
        finally:
            self.waiting.pop(ref, None)
        if reply["type"] == "error":
            self.stats.errors[reply["code"]] += 1
        else:
            self.stats.ok[frame["type"]] += 1
        return reply

    async def subscribe(self, topic: str) -> dict:
        since = self.last_seq.get(topic)
        frame = {"type": "subscribe", "topic": topic}
        if since is not None:
            frame["since"] = since
        return await self.request(frame)

    def close(self) -> None:
        if self.proto is not None:
            self.proto.close()


async def poster(client: Client, rooms: list[str], stop: float) -> None:
    await client.open()
    while time.monotonic() < stop:
        topic = random.choice(rooms)
        reply = await client.request({"type": "post", "topic": topic, "body": f"t={time.time():.6f} " + "x" * 1200})
        if reply["type"] == "ok":
            client.stats.ok["posted"] += 1
        await asyncio.sleep(random.uniform(0.05, 0.25))


async def watcher(client: Client, topics: list[str], stop: float) -> None:
    await client.open()
    for topic in topics:
        await client.subscribe(topic)
    while time.monotonic() < stop:
        await asyncio.sleep(1)


async def voter(client: Client, proposals: list[str], stop: float) -> None:
    await client.open()
    while time.monotonic() < stop:
        await client.request(
            {"type": "vote", "topic": random.choice(proposals), "choice": random.choice(["up", "down"])}
        )
        await asyncio.sleep(random.uniform(0.5, 2.0))


async def rsvper(client: Client, events: list[str], stop: float) -> None:
    await client.open()
    while time.monotonic() < stop:
        status = random.choice(["going", "going", "declined", "interested"])
        await client.request({"type": "rsvp", "topic": random.choice(events), "status": status})
        await asyncio.sleep(random.uniform(0.5, 2.0))


async def reconnector(client: Client, topics: list[str], stop: float) -> None:
    while time.monotonic() < stop:
        client.index = random.randrange(len(client.stack.ports))  # either process
        await client.open()
        for topic in topics:
            await client.subscribe(topic)
        await asyncio.sleep(random.uniform(2, 6))
        client.close()
        await client.proto.closed
        client.stats.closes["reconnect"] += 1


async def stalled(client: Client, topics: list[str], stop: float) -> None:
    while time.monotonic() < stop:
        await client.open(receive_buffer=4096)
        for topic in topics:
            client.proto.send_text(json.dumps({"type": "subscribe", "topic": topic, "since": 0, "ref": topic}))
        client.proto.transport.pause_reading()
        await asyncio.sleep(random.uniform(25, 40))
        client.proto.transport.resume_reading()
        try:
            code = await asyncio.wait_for(client.proto.closed, 30)
        except TimeoutError:
            code = None
            client.close()
        client.stats.closes[f"stalled:{code}"] += 1


def rss_mib(stack: LiveStack) -> list[float]:
    values = []
    for process in stack.servers:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration, AttributeError):
            kib = 0
        values.append(kib / 1024)
    return values


async def sampler(stack: LiveStack, stats: Stats, start: float, stop: float, rows: list[dict]) -> None:
    while time.monotonic() < stop:
        await asyncio.sleep(SAMPLE_SECONDS)
        window, stats.latencies = stats.latencies, []
        p99 = statistics.quantiles(window, n=100)[98] * 1000 if len(window) >= 2 else float("nan")
        rss = rss_mib(stack)
        row = {"t": round(time.monotonic() - start, 1), "p99_ms": round(p99, 2), "deliveries": len(window)}
        row.update({f"rss_{i}_mib": round(value, 1) for i, value in enumerate(rss)})
        row.update({"posted": stats.ok["posted"], "errors": sum(stats.errors.values())})
        rows.append(row)
        print(json.dumps(row), flush=True)


def growth_mib(rows: list[dict], key: str, warmup: float) -> float:
    """Least-squares slope of `key` over the post-warm-up samples, times their time span."""
    points = [(row["t"], row[key]) for row in rows if row["t"] >= warmup]
    if len(points) < 3:
        return 0.0
    xs, ys = zip(*points, strict=True)
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    return slope * (xs[-1] - xs[0])


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot(rows: list[dict], processes: int, warmup: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [row["t"] for row in rows]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for i in range(processes):
        top.plot(t, [row[f"rss_{i}_mib"] for row in rows], label=f"daphne {i}")
    top.axvline(warmup, color="grey", linestyle="--", label="end of warm-up")
    top.set_ylabel("RSS (MiB)")
    top.legend()
    bottom.plot(t, [row["p99_ms"] for row in rows], color="tab:red")
    bottom.set_ylabel("p99 delivery (ms)")
    bottom.set_xlabel("seconds")
    figure.suptitle("Soak: RSS and p99 delivery latency over time")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def start_load(stack: LiveStack, world: dict, stats: Stats, stop: float) -> tuple[list[Client], list[asyncio.Future]]:
    """Every actor of the mixed load as a task; returns the watchers (checked at the end) and the tasks."""
    users = stack.create_users(POSTERS + WATCHERS + VOTERS + RSVPERS + RECONNECTORS + STALLED, prefix="soak")
    tokens = iter(token for _, token in users)
    rooms = world["rooms"]

    def client(index: int, **kwargs) -> Client:
        return Client(stack, index % 2, next(tokens), stats, **kwargs)

    watchers = [client(i, check_topics=rooms, measure=True) for i in range(WATCHERS)]
    every_topic = rooms + world["proposals"] + world["events"]
    actors = [watcher(c, every_topic, stop) for c in watchers]
    actors += [poster(client(i), rooms, stop) for i in range(POSTERS)]
    actors += [voter(client(i), world["proposals"], stop) for i in range(VOTERS)]
    actors += [rsvper(client(i), world["events"], stop) for i in range(RSVPERS)]
    actors += [reconnector(client(i, check_topics=rooms), rooms, stop) for i in range(RECONNECTORS)]
    actors += [stalled(client(i), rooms, stop) for i in range(STALLED)]
    return watchers, [asyncio.ensure_future(actor) for actor in actors]


async def check_nothing_lost(stack: LiveStack, watchers: list[Client], rooms: list[str], stats: Stats) -> None:
    """Every watcher reaches each room's head (bounded wait), and the database holds every `ok` post."""
    heads = stack.run_python(HEADS.format(rooms=rooms))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        w.last_seq.get(topic, 0) < heads[topic] for w in watchers for topic in rooms
    ):
        await asyncio.sleep(0.2)
    for w in watchers:
        for topic in rooms:
            if w.last_seq.get(topic, 0) != heads[topic]:
                stats.problems.append(f"a watcher ended {topic} at {w.last_seq.get(topic)}, head {heads[topic]}")
        w.close()
    stored = stack.run_python(COUNT_MESSAGES)
    if stored != stats.ok["posted"]:
        stats.problems.append(f"database holds {stored} messages, posters were told ok {stats.ok['posted']} times")
    for index in range(len(stack.servers)):
        if "Traceback" in stack.log(f"daphne-{index}"):
            stats.problems.append(f"daphne {index} logged a traceback")


def report(rows: list[dict], stats: Stats, minutes: float, warmup: float, processes: int) -> dict:
    write_csv(rows, OUT / "soak.csv")
    plot(rows, processes, warmup, OUT / "soak.png")
    growth = {key: growth_mib(rows, key, warmup) for key in rows[0] if key.startswith("rss_")}
    for key, value in growth.items():
        if value > GROWTH_LIMIT_MIB:
            stats.problems.append(f"{key} grew {value:.1f} MiB after warm-up (limit {GROWTH_LIMIT_MIB})")
    summary = {
        "minutes": minutes,
        "ok": dict(stats.ok),
        "errors": dict(stats.errors),
        "closes": dict(stats.closes),
        "rss_growth_after_warmup_mib": {k: round(v, 1) for k, v in growth.items()},
        "p99_ms_median_of_windows": statistics.median(r["p99_ms"] for r in rows if r["p99_ms"] == r["p99_ms"]),
        "problems": stats.problems[:20],
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return summary


async def soak(minutes: float) -> int:
    duration = minutes * 60
    warmup = min(60.0, duration / 4)
    # A smaller outbound bound than the default 1 MiB, so stalled readers overflow within their stall.
    env = {"LOG_LEVEL": "WARNING", "DB_THREADS": "4", "REALTIME_SEND_BUFFER_BYTES": str(256 * 1024)}
    stack = LiveStack(processes=2, redis=True, env=env)
    try:
        world = stack.run_python(SEED.format(rooms=ROOMS, events=EVENTS, proposals=PROPOSALS))
        stats = Stats()
        start = time.monotonic()
        stop = start + duration
        rows: list[dict] = []
        watchers, tasks = start_load(stack, world, stats, stop)
        tasks.append(asyncio.ensure_future(sampler(stack, stats, start, stop, rows)))
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                stats.problems.append(f"a load task failed: {result!r}")
        await check_nothing_lost(stack, watchers, world["rooms"], stats)
        report(rows, stats, minutes, warmup, len(stack.servers))
        return 1 if stats.problems or stats.errors.get("internal") else 0
    finally:
        stack.close()
