"""A reconnect storm inside a load-client worker: when its server dies, every socket comes back
to the other server with ``since`` = the last seq it holds, after the browser client's backoff
(static/js/socket.js: delay = cap/2 + random * cap/2, cap = min(15 s, 0.5 s * 2**attempt)),
and is "caught up" once it holds every seq up to the head its new subscription announced."""

from __future__ import annotations

import asyncio
import collections
import random
import time

import orjson

from bench.recorders import event_body, parse_body
from bench.wsclient import connect

BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 15.0
HANDSHAKE_TIMEOUT = 20.0


def backoff_delay(attempt: int) -> float:
    cap = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**attempt)
    return cap / 2 + random.random() * (cap / 2)


class ReconnectRecorder:
    """Numbered posts on one topic per socket, across one server loss and a reconnection."""

    def __init__(self, sockets, headers, *, host, port, path, topic, tag, expect):
        n = len(sockets)
        self.sockets, self.headers = list(sockets), headers
        self.host, self.port, self.path, self.topic, self.tag = host, port, path, topic, tag
        self.expect, self.n = expect, n
        self.got = [bytearray(expect) for _ in range(n)]
        self.unique = [0] * n
        self.last_seq = [None] * n
        self.in_order = [True] * n  # every seq was the previous + 1
        self.sub_head = [None] * n
        self.t_lost = [None] * n
        self.t_back = [None] * n
        self.t_caught = [None] * n
        self.attempts = [0] * n
        self.dups = self.seq_dups = self.foreign = self.complete = self.progress = 0
        self.failures: collections.Counter = collections.Counter()
        self.done = asyncio.get_running_loop().create_future()

    def watch(self):
        for i, ws in enumerate(self.sockets):
            ws.ctx = i
            ws.closed.add_done_callback(lambda _f, i=i: self._lost(i))

    def _lost(self, i: int):
        if self.t_lost[i] is None:
            self.t_lost[i] = time.monotonic()
        if not self.done.done():
            asyncio.get_running_loop().create_task(self._come_back(i))

    async def _come_back(self, i: int):
        while not self.done.done():
            await asyncio.sleep(backoff_delay(self.attempts[i]))  # the client's backoff, not synchronisation
            self.attempts[i] += 1
            try:
                ws = await connect(
                    self.host, self.port, self.path, self.headers[i], self.on_frame, i, HANDSHAKE_TIMEOUT
                )
            except Exception as exc:
                self.failures[type(exc).__name__] += 1
                continue
            self.sockets[i] = ws
            self._subscribe(i, ws)
            return

    def _subscribe(self, i: int, ws):
        frame = {"type": "subscribe", "topic": self.topic, "ref": "resub"}
        if self.last_seq[i] is not None:
            frame["since"] = self.last_seq[i]
        ws.send_text(orjson.dumps(frame))

    def _refused(self, i: int, ws, d: dict):
        """A refused subscribe: `rate_limited` asks again after `retry_after`, as the browser does."""
        self.failures["error:" + str(d.get("code"))] += 1
        if d.get("code") == "rate_limited" and d.get("ref") == "resub" and not self.done.done():
            wait = max(0.2, float(d.get("retry_after") or 1))
            asyncio.get_running_loop().call_later(wait, lambda: self.sockets[i] is ws and self._subscribe(i, ws))

    def on_frame(self, ws, payload: bytes, t: float):
        d = orjson.loads(payload)
        typ = d.get("type")
        i = ws.ctx
        if typ == "subscribed" and d.get("ref") == "resub":
            self.sub_head[i], self.t_back[i] = d.get("seq") or 0, t
            self.progress += 1
            self._check_caught(i, t)
        elif typ == "event" and d.get("topic") == self.topic:
            self._record(i, d, t)
        elif typ == "error":
            self._refused(i, ws, d)

    def _record(self, i: int, d: dict, t: float):
        seq = d.get("seq")
        prev = self.last_seq[i]
        if prev is not None and seq <= prev:
            self.seq_dups += 1
            return
        if prev is not None and seq != prev + 1:
            self.in_order[i] = False
        self.last_seq[i] = seq
        parsed = parse_body(event_body(d.get("data")) or "", self.tag)
        if parsed is None or parsed[0] >= self.expect:
            self.foreign += 1
            return
        idx = parsed[0]
        if self.got[i][idx]:
            self.dups += 1
            return
        self.got[i][idx] = 1
        self.unique[i] += 1
        self.progress += 1
        if self.unique[i] == self.expect:
            self.complete += 1
            if self.complete == self.n and not self.done.done():
                self.done.set_result(True)
        self._check_caught(i, t)

    def _check_caught(self, i: int, t: float):
        head = self.sub_head[i]
        if self.t_caught[i] is None and head is not None and self.in_order[i] and (self.last_seq[i] or 0) >= head:
            self.t_caught[i] = t

    def result(self) -> dict:
        return {
            "sockets": self.n,
            "expect_per_socket": self.expect,
            "unique": sum(self.unique),
            "complete_sockets": self.complete,
            "dups": self.dups,
            "seq_dups": self.seq_dups,
            "out_of_order_sockets": sum(1 for ok in self.in_order if not ok),
            "foreign": self.foreign,
            "lost_sockets": sum(1 for t in self.t_lost if t is not None),
            "back_sockets": sum(1 for t in self.t_back if t is not None),
            "t_caught": self.t_caught,
            "t_back": self.t_back,
            "attempts": dict(collections.Counter(self.attempts)),
            "failures": dict(self.failures),
            "progress": self.progress,
        }
