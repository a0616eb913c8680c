"""What every bench target shares: where the code lives, the Redis base URL, the poster socket, CPU readings."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import orjson

from bench.servers import Server

REPO_ROOT = Path(__file__).resolve().parent.parent
# The checkout whose config.asgi:application is measured: this repository unless
# BENCH_PROJECT_ROOT names another one (e.g. a colleague's work tree).
PROJECT_ROOT = Path(os.environ.get("BENCH_PROJECT_ROOT") or REPO_ROOT).resolve()


def pythonpath() -> str:
    """The project runs with cwd = PROJECT_ROOT; this repository (bench.*) comes after it."""
    parts = [str(PROJECT_ROOT), str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join(dict.fromkeys(parts))


REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")


def body_text(tag: str, i: int) -> str:
    """The message text every post carries: run tag, post index, monotonic send time."""
    return f"{tag}:{i}:{time.monotonic():.6f}"


class Poster:
    """One writing socket. ``post`` embeds the send time in the body at the moment it writes."""

    def __init__(self, ws, mode: str, topic: str | None):
        self.ws = ws
        self.mode = mode
        self.topic = topic
        self.sent: dict[str, float] = {}
        self.ok: dict[str, float] = {}
        self.errors: dict[str, int] = {}
        self._all_ok: asyncio.Future | None = None

    def on_message(self, ws, payload, t):
        if self.mode != "project":
            return
        d = orjson.loads(payload)
        typ = d.get("type")
        if typ == "ok":
            ref = d.get("ref")
            if ref in self.sent and ref not in self.ok:
                self.ok[ref] = t
        elif typ == "error":
            code = d.get("code") or "?"
            self.errors[code] = self.errors.get(code, 0) + 1
        if (
            self._all_ok is not None
            and not self._all_ok.done()
            and len(self.ok) + sum(self.errors.values()) >= len(self.sent)
        ):
            self._all_ok.set_result(True)

    def post(self, tag: str, i: int):
        body = body_text(tag, i)
        if self.mode == "peer":
            self.ws.send_text(orjson.dumps({"message": body}))
        else:
            ref = f"{tag}-{i}"
            self.sent[ref] = time.monotonic()
            self.ws.send_text(orjson.dumps({"type": "post", "topic": self.topic, "body": body, "ref": ref}))

    async def wait_replies(self, timeout: float):
        """Project only: until every post has its ok or error (bounded)."""
        if self.mode != "project" or len(self.ok) + sum(self.errors.values()) >= len(self.sent):
            return
        self._all_ok = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(self._all_ok, timeout)
        except TimeoutError:
            pass

    def ok_latencies(self) -> list[float]:
        return [self.ok[r] - self.sent[r] for r in self.ok]

    def close(self):
        self.ws.close()


class Target:
    name = "?"
    mode = "peer"
    servers: list[Server]

    def server_cpu(self) -> float:
        return sum(s.cpu_seconds() for s in self.servers if s.alive())

    def stop(self):
        for s in self.servers:
            s.stop()
