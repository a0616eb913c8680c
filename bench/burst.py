"""Many writers at once, inside a load-client worker: each socket of a group sends its posts
back to back (project: waits for the ``ok`` of each; peers answer nothing)."""

from __future__ import annotations

import array
import asyncio
import collections
import time

import orjson


class BurstReplies:
    """``ok``/``error`` replies to the posts of a burst, by ``ref``."""

    def __init__(self, expected: int):
        self.sent: dict[str, float] = {}
        self.ok_latency = array.array("d")
        self.errors: collections.Counter = collections.Counter()
        self.t_last_reply = None
        self.expected = expected
        self.done = asyncio.get_running_loop().create_future()
        if expected == 0:
            self.done.set_result(True)

    def on_project(self, ws, payload: bytes, t: float):
        d = orjson.loads(payload)
        typ = d.get("type")
        if typ not in ("ok", "error"):
            return
        t_sent = self.sent.pop(d.get("ref"), None)
        if t_sent is None:
            return
        if typ == "ok":
            self.ok_latency.append(t - t_sent)
        else:
            self.errors[str(d.get("code"))] += 1
        self.t_last_reply = t
        if len(self.ok_latency) + sum(self.errors.values()) >= self.expected and not self.done.done():
            self.done.set_result(True)


async def post_burst(sockets, *, tag, topic, per_socket, mode, index_base=0, timeout=30.0) -> dict:
    """Socket k sends posts ``(index_base + k) * per_socket + j`` for j < per_socket, all at once."""
    rec = BurstReplies(len(sockets) * per_socket if mode == "project" else 0)
    t_first = time.monotonic()
    for k, ws in enumerate(sockets):
        if mode == "project":
            ws.on_message = rec.on_project
        for j in range(per_socket):
            idx = (index_base + k) * per_socket + j
            body = f"{tag}:{idx}:{time.monotonic():.6f}"
            if mode == "project":
                ref = f"{tag}-{idx}"
                rec.sent[ref] = time.monotonic()
                ws.send_text(orjson.dumps({"type": "post", "topic": topic, "body": body, "ref": ref}))
            else:
                ws.send_text(orjson.dumps({"message": body}))
    t_last_send = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.shield(rec.done), timeout)
    except TimeoutError:
        pass
    return {
        "sent": len(sockets) * per_socket,
        "t_first_send": t_first,
        "t_last_send": t_last_send,
        "oks": len(rec.ok_latency),
        "errors": dict(rec.errors),
        "unanswered": len(rec.sent),
        "t_last_reply": rec.t_last_reply,
        "ok_latency": rec.ok_latency.tobytes(),
    }
