"""Load-client worker processes and the pool that drives them from the bench's main process.

The sockets of a scenario are spread over a few worker processes (``--workers``, default 2),
each running one asyncio loop and the raw client of ``bench.wsclient``. The main process
talks to each worker over a ``multiprocessing`` pipe with small command dicts; every reply
carries the worker's own CPU time so the bench can report what the client itself cost.

Commands (``cmd``):
- ``open``: open ``n`` sockets of a group (optionally ``subscribe`` each to a topic and
  wait for ``subscribed``); replies with how many opened and why the others failed.
- ``arm_messages`` / ``arm_state``: start recording deliveries of a group; the reply comes
  only when every socket holds what was expected, or when ``finish`` says stop.
- ``finish``: stop a recording after a bounded drain time; the armed command then replies.
- ``send``: each socket of a group sends its own frame at a scheduled offset and waits for
  the ``ok``/``error`` that echoes its ``ref``.
- ``close``: close a group.

Times are ``time.monotonic()`` (CLOCK_MONOTONIC, shared by all processes of the machine),
so a post time taken in the main process compares with a receive time taken here.
"""

from __future__ import annotations

import array
import asyncio
import collections
import multiprocessing as mp
import os
import resource
import time
import traceback

import orjson

from bench.wsclient import connect

OPEN_CONCURRENCY = 64
HANDSHAKE_TIMEOUT = 20.0


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def parse_body(body: str, tag: str):
    """``"<tag>:<index>:<t_send>"`` -> (index, t_send) or None for another run's message."""
    if not body.startswith(tag):
        return None
    parts = body.split(":")
    if len(parts) < 3 or parts[0] != tag:
        return None
    return int(parts[1]), float(parts[2])


def event_body(data):
    """The message text of a project ``message.posted`` event, wherever the core puts it."""
    if not isinstance(data, dict):
        return None
    body = data.get("body")
    if isinstance(body, str):
        return body
    for key in ("message", "item"):
        inner = data.get(key)
        if isinstance(inner, dict) and isinstance(inner.get("body"), str):
            return inner["body"]
    return None


# --------------------------------------------------------------------------------------------
# Recorders: the per-delivery hot path.
# --------------------------------------------------------------------------------------------
class MessageRecorder:
    """Deliveries of numbered posts to every socket of a group."""

    def __init__(self, n_sockets: int, expect: int, tag: str, mode: str, topic: str | None):
        self.n = n_sockets
        self.expect = expect
        self.tag = tag
        self.mode = mode
        self.topic = topic
        self.got = [bytearray(expect) for _ in range(n_sockets)]
        self.unique = [0] * n_sockets
        self.dups = 0
        self.order_violations = 0  # a post index (peer) or seq (project) not above the previous
        self.seq_gaps = 0  # project: seq not previous + 1
        self.last_idx = [-1] * n_sockets
        self.last_seq = [None] * n_sockets
        self.lat = array.array("d")
        self.first_recv = None
        self.last_recv = None
        self.complete = 0
        self.foreign = 0
        self.progress = 0
        self.done = asyncio.get_running_loop().create_future()
        if expect == 0 and not self.done.done():
            self.done.set_result(True)

    def on_peer(self, ws, payload: bytes, t: float):
        try:
            body = orjson.loads(payload)["message"]
        except Exception:
            self.foreign += 1
            return
        self._record(ws.ctx, body, t, None)

    def on_project(self, ws, payload: bytes, t: float):
        d = orjson.loads(payload)
        if d.get("type") != "event" or d.get("topic") != self.topic:
            return
        body = event_body(d.get("data"))
        if body is None:
            self.foreign += 1
            return
        self._record(ws.ctx, body, t, d.get("seq"))

    def _record(self, i: int, body: str, t: float, seq):
        parsed = parse_body(body, self.tag)
        if parsed is None:
            self.foreign += 1
            return
        idx, t_send = parsed
        if idx >= self.expect:
            self.foreign += 1
            return
        g = self.got[i]
        if g[idx]:
            self.dups += 1
            if g[idx] < 255:
                g[idx] += 1
            return
        g[idx] = 1
        if idx <= self.last_idx[i]:
            self.order_violations += 1
        self.last_idx[i] = idx
        if seq is not None:
            prev = self.last_seq[i]
            if prev is not None:
                if seq <= prev:
                    self.order_violations += 1
                elif seq != prev + 1:
                    self.seq_gaps += 1
            self.last_seq[i] = seq
        self.lat.append(t - t_send)
        if self.first_recv is None:
            self.first_recv = t
        self.last_recv = t
        self.progress += 1
        u = self.unique[i] + 1
        self.unique[i] = u
        if u == self.expect:
            self.complete += 1
            if self.complete == self.n and not self.done.done():
                self.done.set_result(True)

    def result(self) -> dict:
        return {
            "sockets": self.n,
            "expect_per_socket": self.expect,
            "unique": sum(self.unique),
            "complete_sockets": self.complete,
            "dups": self.dups,
            "order_violations": self.order_violations,
            "seq_gaps": self.seq_gaps,
            "foreign": self.foreign,
            "first_recv": self.first_recv,
            "last_recv": self.last_recv,
            "lat": self.lat.tobytes(),
        }


class StateRecorder:
    """``state`` frames of one kind on one topic: frame rate per socket, and when each
    socket came to hold the expected final snapshot."""

    def __init__(self, n_sockets: int, topic: str, kind: str, expected: dict):
        self.n = n_sockets
        self.topic = topic
        self.kind = kind
        self.expected = expected
        self.times = [[] for _ in range(n_sockets)]
        self.version = [None] * n_sockets
        self.last = [None] * n_sockets
        self.t_exact = [None] * n_sockets
        self.stale = 0  # frames whose version did not grow (a client drops them)
        self.exact_now = 0
        self.progress = 0
        self.done = asyncio.get_running_loop().create_future()

    def matches(self, data) -> bool:
        exp = self.expected
        for key, want in exp.items():
            if key == "counts":
                counts = data.get("counts") or {}
                if any(counts.get(k, 0) != v for k, v in want.items()):
                    return False
                if any(v and k not in want for k, v in counts.items()):
                    return False
            elif data.get(key) != want:
                return False
        return True

    def on_project(self, ws, payload: bytes, t: float):
        d = orjson.loads(payload)
        if d.get("type") != "state" or d.get("topic") != self.topic or d.get("kind") != self.kind:
            return
        i = ws.ctx
        data = d.get("data") or {}
        self.progress += 1
        self.times[i].append(t)
        v = data.get("version")
        prev = self.version[i]
        if prev is not None and v is not None and v <= prev:
            self.stale += 1
            return
        self.version[i] = v
        self.last[i] = data
        was = self.t_exact[i] is not None
        if self.matches(data):
            if not was:
                self.t_exact[i] = t
                self.exact_now += 1
                if self.exact_now == self.n and not self.done.done():
                    self.done.set_result(True)
        elif was:
            self.t_exact[i] = None
            self.exact_now -= 1

    def result(self) -> dict:
        max_rate = 0
        frames = 0
        for ts in self.times:
            frames += len(ts)
            j = 0
            for k in range(len(ts)):  # largest count in any half-open 1 s window
                while ts[k] - ts[j] >= 1.0:
                    j += 1
                max_rate = max(max_rate, k - j + 1)
        lasts = collections.Counter(orjson.dumps(x, option=orjson.OPT_SORT_KEYS).decode() for x in self.last)
        return {
            "sockets": self.n,
            "frames": frames,
            "max_frames_per_s": max_rate,
            "stale": self.stale,
            "exact": self.exact_now,
            "t_exact": [t for t in self.t_exact],
            "last_states": lasts.most_common(3),
            "never": sum(1 for x in self.last if x is None),
        }


class ReplyRecorder:
    """Replies (``ok``/``error``) to one write per socket."""

    def __init__(self, n_sockets: int):
        self.n = n_sockets
        self.refs = [None] * n_sockets
        self.t_sent = [None] * n_sockets
        self.t_reply = [None] * n_sockets
        self.outcome = [None] * n_sockets
        self.replied = 0
        self.done = asyncio.get_running_loop().create_future()

    def on_project(self, ws, payload: bytes, t: float):
        d = orjson.loads(payload)
        typ = d.get("type")
        if typ not in ("ok", "error"):
            return
        i = ws.ctx
        if d.get("ref") != self.refs[i] or self.t_reply[i] is not None:
            return
        self.t_reply[i] = t
        if typ == "ok":
            data = d.get("data")
            status = data.get("status") if isinstance(data, dict) else None
            self.outcome[i] = f"ok:{status}" if status else "ok"
        else:
            self.outcome[i] = "error:" + str(d.get("code"))
        self.replied += 1
        if self.replied == self.n and not self.done.done():
            self.done.set_result(True)

    def result(self) -> dict:
        return {
            "sockets": self.n,
            "replied": self.replied,
            "outcomes": dict(collections.Counter(o for o in self.outcome if o is not None)),
            "t_sent": self.t_sent,
            "t_reply": self.t_reply,
        }


# --------------------------------------------------------------------------------------------
# The worker process.
# --------------------------------------------------------------------------------------------
class Group:
    def __init__(self):
        self.sockets = []  # index -> protocol or None when it failed to open
        self.recorder = None


def _ignore(ws, payload, t):
    pass


class Worker:
    def __init__(self, conn):
        self.conn = conn
        self.groups: dict[str, Group] = {}
        self.loop = asyncio.get_running_loop()
        self.stopped = self.loop.create_future()
        self.finishers: dict[str, asyncio.Future] = {}

    def reply(self, rid, **kw):
        kw["rid"] = rid
        kw["cpu"] = cpu_seconds()
        kw["t"] = time.monotonic()
        self.conn.send(kw)

    def on_readable(self):
        try:
            msg = self.conn.recv()
        except EOFError:
            if not self.stopped.done():
                self.stopped.set_result(True)
            return
        self.loop.create_task(self.handle(msg))

    async def handle(self, msg):
        rid = msg.get("rid")
        try:
            fn = getattr(self, "cmd_" + msg["cmd"])
            out = await fn(**{k: v for k, v in msg.items() if k not in ("rid", "cmd")})
            self.reply(rid, ok=True, **(out or {}))
        except Exception as exc:  # report, never die silently
            self.reply(rid, ok=False, error=f"{type(exc).__name__}: {exc}", tb=traceback.format_exc())

    async def cmd_ping(self):
        return {"pid": os.getpid()}

    async def cmd_stop(self):
        for g in self.groups.values():
            for ws in g.sockets:
                if ws is not None:
                    ws.close()
        self.loop.call_soon(lambda: self.stopped.done() or self.stopped.set_result(True))
        return {}

    async def cmd_open(
        self, group, host, port, path, n, headers=None, subscribe=None, origin=None, concurrency=OPEN_CONCURRENCY
    ):
        """Open ``n`` sockets; ``headers`` is one dict for all or a list, one per socket."""
        g = self.groups.setdefault(group, Group())
        base = len(g.sockets)
        g.sockets.extend([None] * n)
        sem = asyncio.Semaphore(concurrency)
        errors = collections.Counter()
        opened = 0
        t0 = time.monotonic()

        async def one(k):
            nonlocal opened
            h = headers[k] if isinstance(headers, list) else dict(headers or {})
            if origin:
                h = dict(h or {}, Origin=origin)
            async with sem:
                try:
                    fut = None
                    if subscribe:
                        fut = self.loop.create_future()

                        def on_msg(ws, payload, t, fut=fut):
                            if fut.done():
                                return
                            d = orjson.loads(payload)
                            if d.get("type") == "subscribed" and d.get("topic") == subscribe:
                                fut.set_result(d)
                            elif d.get("type") == "error":
                                fut.set_exception(RuntimeError(f"subscribe refused: {d.get('code')}"))

                        ws = await connect(host, port, path, h, on_msg, base + k, HANDSHAKE_TIMEOUT)
                        ws.send_text(orjson.dumps({"type": "subscribe", "topic": subscribe, "ref": "sub"}))
                        try:
                            await asyncio.wait_for(fut, HANDSHAKE_TIMEOUT)
                        except BaseException:
                            ws.close()
                            raise
                        ws.on_message = _ignore
                    else:
                        ws = await connect(host, port, path, h, _ignore, base + k, HANDSHAKE_TIMEOUT)
                    g.sockets[base + k] = ws
                    opened += 1
                except Exception as exc:
                    errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1

        await asyncio.gather(*(one(k) for k in range(n)))
        return {
            "opened": opened,
            "failed": n - opened,
            "errors": dict(errors.most_common(5)),
            "seconds": time.monotonic() - t0,
        }

    def _live(self, group):
        g = self.groups[group]
        return g, [ws for ws in g.sockets if ws is not None and ws.is_open]

    async def cmd_count_open(self, group):
        g, live = self._live(group)
        return {"open": len(live), "closed": sum(1 for ws in g.sockets if ws is not None and not ws.is_open)}

    async def _armed(self, group, rec, handler, ready_rid):
        g, live = self._live(group)
        for k, ws in enumerate(live):
            ws.ctx = k
            ws.on_message = handler
        g.recorder = rec
        fin = self.loop.create_future()
        self.finishers[group] = fin
        self.reply(ready_rid, ok=True, armed=len(live), kind="armed")
        # Reply when complete, or when finish() says so (after its own bounded drain).
        done, _ = await asyncio.wait([rec.done, fin], return_when=asyncio.FIRST_COMPLETED)
        if rec.done not in done:
            # Drain: until complete, or ``drain`` seconds, or no progress for ``stall`` seconds.
            drain, stall = fin.result()
            t_end = time.monotonic() + drain
            last_progress, t_progress = rec.progress, time.monotonic()
            while not rec.done.done():
                now = time.monotonic()
                if now >= t_end or now - t_progress >= stall:
                    break
                try:
                    await asyncio.wait_for(asyncio.shield(rec.done), min(0.25, t_end - now))
                except TimeoutError:
                    pass
                if rec.progress != last_progress:
                    last_progress, t_progress = rec.progress, time.monotonic()
        for ws in live:
            ws.on_message = _ignore
        self.finishers.pop(group, None)
        g.recorder = None
        return rec.result()

    async def cmd_arm_messages(self, group, expect, tag, mode, topic=None, ready_rid=None):
        _, live = self._live(group)
        rec = MessageRecorder(len(live), expect, tag, mode, topic)
        handler = rec.on_peer if mode == "peer" else rec.on_project
        return await self._armed(group, rec, handler, ready_rid)

    async def cmd_arm_state(self, group, topic, kind, expected, ready_rid=None):
        _, live = self._live(group)
        rec = StateRecorder(len(live), topic, kind, expected)
        return await self._armed(group, rec, rec.on_project, ready_rid)

    async def cmd_finish(self, group, drain, stall=3.0):
        fin = self.finishers.get(group)
        if fin is not None and not fin.done():
            fin.set_result((drain, stall))
        return {}

    async def cmd_send(self, group, frames, spread, timeout, start_at=None):
        """Socket k sends ``frames[k]`` (a dict with a ``ref``) at start + k * spread / n."""
        _, live = self._live(group)
        n = min(len(live), len(frames))
        rec = ReplyRecorder(n)
        for k in range(n):
            live[k].ctx = k
            live[k].on_message = rec.on_project
            rec.refs[k] = frames[k].get("ref")
        t0 = max(start_at or 0.0, time.monotonic())
        step = spread / n if n else 0.0

        def fire(k):
            rec.t_sent[k] = time.monotonic()
            live[k].send_text(orjson.dumps(frames[k]))

        for k in range(n):
            self.loop.call_at(t0 + k * step, fire, k)
        if n:
            try:
                await asyncio.wait_for(asyncio.shield(rec.done), spread + timeout)
            except TimeoutError:
                pass
        for ws in live:
            ws.on_message = _ignore
        return rec.result()

    async def cmd_close(self, group):
        g = self.groups.pop(group, None)
        if g is None:
            return {"closed": 0}
        waits = []
        for ws in g.sockets:
            if ws is not None:
                ws.close()
                waits.append(ws.closed)
        if waits:
            await asyncio.wait(waits, timeout=10)
        return {"closed": len(waits)}


def worker_main(conn):
    raise_nofile()

    async def run():
        w = Worker(conn)
        asyncio.get_running_loop().add_reader(conn.fileno(), w.on_readable)
        await w.stopped

    asyncio.run(run())


# --------------------------------------------------------------------------------------------
# Main-process side.
# --------------------------------------------------------------------------------------------
class WorkerHandle:
    def __init__(self, ctx, index):
        self.index = index
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child,), daemon=True, name=f"bench-client-{index}")
        self.proc.start()
        child.close()
        self.pending: dict[int, asyncio.Future] = {}
        self.next_rid = 0
        self.cpu = 0.0

    def attach(self, loop):
        loop.add_reader(self.conn.fileno(), self._on_readable)

    def _on_readable(self):
        try:
            msg = self.conn.recv()
        except (EOFError, OSError):
            for f in self.pending.values():
                if not f.done():
                    f.set_exception(RuntimeError(f"client worker {self.index} died"))
            asyncio.get_running_loop().remove_reader(self.conn.fileno())
            return
        self.cpu = msg.get("cpu", self.cpu)
        f = self.pending.pop(msg["rid"], None)
        if f is not None and not f.done():
            f.set_result(msg)

    def request(self, cmd, **kw) -> asyncio.Future:
        rid = self.next_rid
        self.next_rid += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        self.conn.send(dict(kw, rid=rid, cmd=cmd))
        return fut

    def armed_request(self, cmd, **kw):
        """An arm command: returns (armed future, result future)."""
        ready = self.next_rid
        self.next_rid += 1
        ready_fut = asyncio.get_running_loop().create_future()
        self.pending[ready] = ready_fut
        res = self.request(cmd, ready_rid=ready, **kw)
        return ready_fut, res


class Pool:
    """N worker processes; sockets of a group are spread round-robin-by-blocks over them."""

    def __init__(self, n_workers: int, open_concurrency: int = OPEN_CONCURRENCY):
        self.open_concurrency = open_concurrency
        ctx = mp.get_context("spawn")
        self.workers = [WorkerHandle(ctx, i) for i in range(n_workers)]

    async def start(self):
        loop = asyncio.get_running_loop()
        for w in self.workers:
            w.attach(loop)
        await asyncio.gather(*(w.request("ping") for w in self.workers))

    def split(self, n):
        k = len(self.workers)
        return [n // k + (1 if i < n % k else 0) for i in range(k)]

    def cpu(self) -> float:
        return sum(w.cpu for w in self.workers)

    async def cpu_now(self) -> float:
        await asyncio.gather(*(w.request("ping") for w in self.workers))
        return self.cpu()

    @staticmethod
    def _check(replies):
        for r in replies:
            if not r.get("ok"):
                raise RuntimeError(f"client worker failed: {r.get('error')}\n{r.get('tb', '')}")
        return replies

    async def open(self, group, host, port, path, n, headers=None, subscribe=None, origin=None, workers=None):
        """``headers``: dict for all sockets, or a list of n dicts. ``workers``: restrict to these."""
        ws = [self.workers[i] for i in (workers if workers is not None else range(len(self.workers)))]
        k = len(ws)
        counts = [n // k + (1 if i < n % k else 0) for i in range(k)]
        futs, start = [], 0
        for w, c in zip(ws, counts, strict=False):
            h = headers[start : start + c] if isinstance(headers, list) else headers
            futs.append(
                w.request(
                    "open",
                    group=group,
                    host=host,
                    port=port,
                    path=path,
                    n=c,
                    headers=h,
                    subscribe=subscribe,
                    origin=origin,
                    concurrency=self.open_concurrency,
                )
            )
            start += c
        replies = self._check(await asyncio.gather(*futs))
        errors = collections.Counter()
        for r in replies:
            errors.update(r["errors"])
        return {
            "opened": sum(r["opened"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": dict(errors),
            "seconds": max(r["seconds"] for r in replies),
        }

    async def arm(self, cmd, group, **kw):
        """Arm every worker; returns once all are recording, with the result futures."""
        pairs = [w.armed_request(cmd, group=group, **kw) for w in self.workers]
        self._check(await asyncio.gather(*(p[0] for p in pairs)))
        return [p[1] for p in pairs]

    async def finish(self, group, drain, results, stall=3.0):
        await asyncio.gather(*(w.request("finish", group=group, drain=drain, stall=stall) for w in self.workers))
        return self._check(await asyncio.gather(*results))

    async def send(self, group, frames, spread, timeout, start_at=None):
        """Frames are split like the group's sockets were (same order)."""
        counts = self.split(len(frames))
        futs, start = [], 0
        for w, c in zip(self.workers, counts, strict=False):
            futs.append(
                w.request(
                    "send",
                    group=group,
                    frames=frames[start : start + c],
                    spread=spread,
                    timeout=timeout,
                    start_at=start_at,
                )
            )
            start += c
        return self._check(await asyncio.gather(*futs))

    async def count_open(self, group):
        rs = self._check(await asyncio.gather(*(w.request("count_open", group=group) for w in self.workers)))
        return sum(r["open"] for r in rs)

    async def close(self, group):
        await asyncio.gather(*(w.request("close", group=group) for w in self.workers))

    async def stop(self):
        try:
            await asyncio.wait_for(asyncio.gather(*(w.request("stop") for w in self.workers)), 10)
        except Exception:
            pass
        for w in self.workers:
            w.proc.join(timeout=5)
            if w.proc.is_alive():
                w.proc.terminate()
