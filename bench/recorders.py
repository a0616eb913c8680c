"""Recorders: what a load-client worker does with each frame it receives (the per-delivery hot path).

Each recorder is armed on a group of sockets by ``bench.loadworker`` and resolves ``done``
when every socket holds what was expected; ``result()`` is a plain dict sent back over the pipe.
"""

from __future__ import annotations

import array
import asyncio
import collections

import orjson


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
