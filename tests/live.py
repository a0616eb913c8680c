"""Real servers for end-to-end tests: daphne processes, a private Redis, a fresh database.

    async def test_something(live_stack):
        stack = live_stack(processes=2, redis=True)          # started and ready
        (alice, token), = stack.create_users(1)               # straight into its database
        async with await LiveSocket.open(stack.ws_url(0), token) as ws:
            await ws.subscribe("room:1")
            ...
        stack.kill(1)                                         # SIGKILL one daphne
        stack.redis_stop(); stack.redis_start()               # same port, empty Redis

The database is a new SQLite file, or a new PostgreSQL database when DATABASE_URL points to
PostgreSQL (dropped at teardown). Nothing here is mocked: the test process talks to the
servers over real sockets only.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests import live_database

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 30.0
STOP_GRACE = 3.0  # seconds the processes of a stack get to exit on SIGTERM at close(), all together


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen | None = None, timeout: float = STARTUP_TIMEOUT) -> None:
    """Bounded poll until something accepts on the port (the server has no other readiness signal)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


class LiveStack:
    def __init__(self, *, processes: int = 1, redis: bool = False, scheduler: bool = False, env: dict | None = None):
        self.tmp = tempfile.mkdtemp(prefix="cl-live-")
        self.pg_database: str | None = None
        self.redis_port: int | None = None
        self.redis_process: subprocess.Popen | None = None
        self.ports: list[int] = []
        self.servers: list[subprocess.Popen | None] = []
        self.scheduler_process: subprocess.Popen | None = None
        try:
            self._start(processes=processes, redis=redis, scheduler=scheduler, env=env)
        except BaseException:
            self.close(keep_files=True)  # what started is stopped; the logs say why the rest did not
            raise

    def _start(self, *, processes: int, redis: bool, scheduler: bool, env: dict | None) -> None:
        self.env = dict(os.environ)
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "RATE_LIMIT_PER_SECOND": "1000",
                "RATE_LIMIT_BURST": "1000",
                "LOGIN_BURST": "1000",
                "REGISTER_BURST": "1000",
                "SOCKETS_PER_IP": "100000",
                "SOCKETS_PER_USER": "100000",
                "REALTIME_SWEEP_INTERVAL": "1.0",
                "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": "WARNING",
            }
        )
        self.env.pop("REDIS_URL", None)
        # A database of its own, copied from a template migrated once per test process
        # (tests/live_database.py), unless the test brings one (a restored backup): that one is migrated.
        brought = bool(env and {"DATABASE_URL", "SQLITE_PATH"} & env.keys())
        admin_url = os.environ.get("DATABASE_URL", "")
        if admin_url.startswith("postgres") and not brought:
            self.pg_database = f"cl_live_{uuid.uuid4().hex[:10]}"
            live_database.pg_create(self.env, admin_url, self.pg_database)
            self.env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + self.pg_database
        elif not brought:
            self.env.pop("DATABASE_URL", None)
            self.env["SQLITE_PATH"] = os.path.join(self.tmp, "live.sqlite3")
            live_database.sqlite_copy(self.env, self.env["SQLITE_PATH"])
        if env:
            self.env.update(env)
        if redis:
            self.redis_port = free_port()
            self.redis_start()
            self.env["REDIS_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"
        self.env.setdefault("SCHEDULER_IN_PROCESS", "0" if (redis or scheduler) else "1")
        if brought:
            live_database.migrate(self.env)
        for _ in range(processes):
            self.server_start()
        if scheduler:
            self.scheduler_start()

    # --- processes -------------------------------------------------------------------------

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(os.path.join(self.tmp, f"{name}.log"), "ab")
        return subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def server_start(self, index: int | None = None) -> int:
        """Start a daphne process (a new one, or again at `index` on its old port)."""
        if index is None:
            index = len(self.ports)
            self.ports.append(free_port())
            self.servers.append(None)
        port = self.ports[index]
        process = self._spawn(
            [sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            f"daphne-{index}",
        )
        self.servers[index] = process
        wait_port(port, process)
        return index

    def terminate(self, index: int, timeout: float = 60.0) -> int:
        """SIGTERM one daphne (a graceful restart: it drains) and wait for it to exit; its exit code."""
        process = self.servers[index]
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=timeout)
        self.servers[index] = None
        return code

    def kill(self, index: int) -> None:
        process = self.servers[index]
        if process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            self.servers[index] = None

    def scheduler_start(self) -> None:
        self.scheduler_process = self._spawn([sys.executable, "manage.py", "run_scheduler"], "scheduler")

    def redis_start(self) -> None:
        self.redis_process = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.redis_port, self.redis_process)

    def redis_stop(self) -> None:
        if self.redis_process is not None:
            self.redis_process.send_signal(signal.SIGKILL)
            self.redis_process.wait(timeout=10)
            self.redis_process = None

    def log(self, name: str) -> str:
        path = os.path.join(self.tmp, f"{name}.log")
        return open(path, errors="replace").read() if os.path.exists(path) else ""

    def close(self, *, keep_files: bool = False) -> None:
        """Stop every process, drop the PostgreSQL database and remove the tmp dir (its SQLite file
        and the processes' logs), unless `keep_files` (the fixture keeps them for a failed test)."""
        for process in [*self.servers, self.scheduler_process]:
            if process is not None and process.poll() is None:
                process.terminate()
        # A graceful stop is not under test here (stack.terminate() tests it): a server still
        # draining sockets the test left open (closed with 4012 over DRAIN_SPREAD_SECONDS) is
        # killed after STOP_GRACE seconds instead of being waited for.
        deadline = time.monotonic() + STOP_GRACE
        for process in [*self.servers, self.scheduler_process]:
            if process is not None:
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        self.redis_stop()
        if self.pg_database:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
        if keep_files:
            print(f"LiveStack files kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _pg_admin(sql: str) -> None:
        live_database.pg_admin(os.environ["DATABASE_URL"], sql)

    # --- addresses and data ------------------------------------------------------------------

    def http_url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def ws_url(self, index: int = 0) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}/ws/"

    def http(self, index: int = 0, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.http_url(index), headers=headers, timeout=30)

    def run_python(self, code: str) -> Any:
        """Run Django code in a subprocess against this stack's database; returns its printed JSON."""
        script = "import django, json\ndjango.setup()\n" + code
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def create_users(self, count: int, prefix: str = "user") -> list[tuple[str, str]]:
        """`count` users with API tokens, created in bulk in the database: [(username, token)]."""
        return [
            tuple(pair)
            for pair in self.run_python(
                f"""
from accounts.models import Token, User
prefix = {prefix!r} + __import__('uuid').uuid4().hex[:6]
users = User.objects.bulk_create([User(username=f"{{prefix}}{{i}}", password="!") for i in range({count})])
users = list(User.objects.filter(username__startswith=prefix).order_by("id"))
pairs = [(u.username, Token.new_key()) for u in users]
Token.objects.bulk_create([Token(user=u, key_hash=Token.hash(k)) for u, (_, k) in zip(users, pairs)])
print(json.dumps(pairs))
"""
            )
        ]


class LiveSocket:
    """A real WebSocket client speaking the protocol, keeping every frame it received."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.frames: list[dict] = []
        self.retries = 0  # commands sent again after `rate_limited` (request_retrying)
        self._waiters: list[tuple[Callable[[dict], bool], asyncio.Future]] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.closed = asyncio.Event()

    @classmethod
    async def open(cls, url: str, token: str | None = None, **kwargs) -> LiveSocket:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        ws = await websockets.connect(url, additional_headers=headers, max_size=2**22, open_timeout=20, **kwargs)
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                for predicate, future in list(self._waiters):
                    if not future.done() and predicate(frame):
                        future.set_result(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for _, future in self._waiters:
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))

    async def send(self, frame: dict | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 10.0, *, seen: bool = True) -> dict:
        """The first frame (already received if `seen`, else from now on) matching `predicate`."""
        if seen:
            for frame in self.frames:
                if predicate(frame):
                    return frame
        if self.closed.is_set():
            raise ConnectionError("socket closed")
        future = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove(entry)

    async def request(self, frame: dict, timeout: float = 10.0) -> dict:
        """Send a command with a fresh ref (unless given) and await its ok/error/subscribed reply."""
        frame = {"ref": uuid.uuid4().hex, **frame}
        reply = asyncio.ensure_future(
            self.wait_for(lambda f: f.get("ref") == frame["ref"] and f["type"] != "event", timeout, seen=False)
        )
        try:
            await self.send(frame)
        except BaseException:
            # The send's own error is the one raised; the reply's (socket closed) is only collected.
            reply.add_done_callback(lambda task: task.cancelled() or task.exception())
            reply.cancel()
            raise
        return await reply

    async def request_retrying(self, frame: dict, timeout: float = 10.0, attempts: int = 5) -> dict:
        """`request`, sent again with the same ref after the server's `retry_after` while it answers
        `rate_limited` (its admission control under a burst), as the protocol asks of a client and
        static/js/socket.js does. The same ref makes a repeat harmless: a write that did happen
        answers its first `ok` again. `self.retries` counts the repeats."""
        frame = {"ref": uuid.uuid4().hex, **frame}
        for _ in range(attempts - 1):
            reply = await self.request(frame, timeout)
            if reply.get("code") != "rate_limited":
                return reply
            self.retries += 1
            await asyncio.sleep(reply["retry_after"])  # the server's own backoff, not a guess
        return await self.request(frame, timeout)

    async def subscribe(self, topic: str, since: int | None = None, *, deltas: bool = False) -> dict:
        frame = {"type": "subscribe", "topic": topic}
        if since is not None:
            frame["since"] = since
        if deltas:
            frame["deltas"] = True
        return await self.request(frame)

    def events(self, topic: str, kind: str | None = None) -> list[dict]:
        return [
            f
            for f in self.frames
            if f["type"] == "event" and f["topic"] == topic and (kind is None or f["kind"] == kind)
        ]

    def seqs(self, topic: str) -> list[int]:
        return [f["seq"] for f in self.events(topic)]

    async def wait_seq(self, topic: str, seq: int, timeout: float = 10.0) -> dict:
        return await self.wait_for(lambda f: f["type"] == "event" and f["topic"] == topic and f["seq"] >= seq, timeout)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()

    async def __aenter__(self) -> LiveSocket:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
