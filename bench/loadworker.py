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

import asyncio
import collections
import os
import resource
import socket
import time
import traceback

import orjson

from bench.burst import post_burst
from bench.reconnect import ReconnectRecorder
from bench.recorders import MessageRecorder, ReplyRecorder, StateRecorder
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


# --------------------------------------------------------------------------------------------
# The worker process.
# --------------------------------------------------------------------------------------------
class Group:
    def __init__(self):
        self.sockets = []  # index -> protocol or None when it failed to open
        self.headers = []  # index -> the handshake headers it used (a reconnection reuses them)
        self.recorder = None


def _ignore(ws, payload, t):
    pass


async def open_socket(host, port, path, headers, subscribe=None, ctx=None, since=None, on_message=None):
    """One socket, subscribed to ``subscribe`` (``since`` a seq) when given: (protocol, subscribed reply).

    ``on_message`` receives every frame after the ``subscribed`` reply (a replay follows it at once).
    """
    loop = asyncio.get_running_loop()
    if not subscribe:
        return await connect(host, port, path, headers, on_message or _ignore, ctx, HANDSHAKE_TIMEOUT), None
    fut = loop.create_future()

    def on_msg(ws, payload, t):
        if fut.done():
            (on_message or _ignore)(ws, payload, t)
            return
        d = orjson.loads(payload)
        if d.get("type") == "subscribed" and d.get("topic") == subscribe:
            fut.set_result(d)
        elif d.get("type") == "error":
            fut.set_exception(RuntimeError(f"subscribe refused: {d.get('code')}"))

    ws = await connect(host, port, path, headers, on_msg, ctx, HANDSHAKE_TIMEOUT)
    frame = {"type": "subscribe", "topic": subscribe, "ref": "sub"}
    if since is not None:
        frame["since"] = since
    ws.send_text(orjson.dumps(frame))
    try:
        reply = await asyncio.wait_for(fut, HANDSHAKE_TIMEOUT)
    except BaseException:
        ws.close()
        raise
    ws.on_message = on_message or _ignore
    return ws, reply


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
        g.headers.extend([None] * n)
        sem = asyncio.Semaphore(concurrency)
        errors = collections.Counter()
        opened = 0
        t0 = time.monotonic()

        async def one(k):
            nonlocal opened
            h = headers[k] if isinstance(headers, list) else dict(headers or {})
            if origin:
                h = dict(h or {}, Origin=origin)
            g.headers[base + k] = h
            async with sem:
                try:
                    ws, _ = await open_socket(host, port, path, h, subscribe, base + k)
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

    async def cmd_post_burst(self, group, tag, topic, per_socket, mode, index_base=0, timeout=30.0):
        _, live = self._live(group)
        out = await post_burst(
            live, tag=tag, topic=topic, per_socket=per_socket, mode=mode, index_base=index_base, timeout=timeout
        )
        for ws in live:
            ws.on_message = _ignore
        return out

    async def cmd_pause_reading(self, group, paused=True, receive_buffer=None):
        """Stalled readers: the kernel buffers fill, then the server must hold (or drop) what it sends.
        ``receive_buffer`` shrinks each socket's kernel receive buffer first (SO_RCVBUF)."""
        _, live = self._live(group)
        for ws in live:
            if paused and receive_buffer:
                ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            (ws.transport.pause_reading if paused else ws.transport.resume_reading)()
        return {"sockets": len(live)}

    async def cmd_close_codes(self, group, wait):
        """Read again and wait (at most ``wait`` s) for each socket's close: its code, ``None`` when
        the connection ended without a close frame, ``"open"`` when it never closed."""
        _, live = self._live(group)
        for ws in live:
            ws.transport.resume_reading()
        codes = collections.Counter()
        if live:
            await asyncio.wait([asyncio.ensure_future(asyncio.shield(ws.closed)) for ws in live], timeout=wait)
        for ws in live:
            codes[str(ws.closed.result()) if ws.closed.done() else "open"] += 1
        return {"codes": dict(codes)}

    async def cmd_arm_reconnect(self, group, host, port, path, topic, tag, expect, ready_rid=None):
        g, _ = self._live(group)
        pairs = [(ws, h) for ws, h in zip(g.sockets, g.headers, strict=False) if ws is not None and ws.is_open]
        rec = ReconnectRecorder(
            [ws for ws, _ in pairs],
            [h for _, h in pairs],
            host=host,
            port=port,
            path=path,
            topic=topic,
            tag=tag,
            expect=expect,
        )
        rec.watch()
        out = await self._armed(group, rec, rec.on_frame, ready_rid)
        if not rec.done.done():
            rec.done.set_result(False)  # stops the reconnections still waiting out their backoff
        g.sockets = list(rec.sockets)  # the reconnected ones, so that close() closes them
        return out

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
