"""The peers: the Django Channels tutorial chat (two layers, with or without saving each
message), and the trivial server that measures the load client's own ceiling."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg

from bench.servers import HOST, Server
from bench.targets import REDIS, REPO_ROOT, Poster, Target
from bench.wsclient import connect

BENCH_REDIS_DB_CORE = 13
BENCH_REDIS_DB_PUBSUB = 14


class PeerTarget(Target):
    """tutorial-core or tutorial-pubsub: the tutorial chat under one daphne process; with
    ``persist``, tutorial-pubsub-persist: the same consumer saving each message first (a fresh
    database of the run's kind, migrated before the server starts)."""

    mode = "peer"

    def __init__(self, layer: str, run_id: str, log_dir: Path, persist_db=None):
        """``persist_db``: a ``ProjectDatabase`` (created, then dropped by the caller) for the persisting peer."""
        self.layer = layer
        self.db = persist_db
        self.persist = persist_db is not None
        self.name = f"tutorial-{layer}" + ("-persist" if self.persist else "")
        self.run_id = run_id
        self.log_dir = log_dir
        self.db_env = {}
        if self.db is not None:
            url = self.db.env.get("DATABASE_URL")
            self.db_env = {"BENCH_PEER_DATABASE_URL": url} if url else {"BENCH_PEER_SQLITE": self.db.name}
        self.servers = []
        self.rooms = 0

    def stored_messages(self) -> int:
        """Rows in the persisting peer's message table (read from the bench process)."""
        if self.db.kind == "postgres":
            with psycopg.connect(self.db.env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
                return conn.execute("SELECT count(*) FROM peers_message").fetchone()[0]
        with sqlite3.connect(self.db.name, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM peers_message").fetchone()[0]

    def env(self) -> dict:
        db = BENCH_REDIS_DB_CORE if self.layer == "core" else BENCH_REDIS_DB_PUBSUB
        return dict(
            os.environ,
            BENCH_PEER_LAYER=self.layer,
            BENCH_PEER_REDIS=f"{REDIS}/{db}",
            BENCH_PEER_PREFIX=f"bench{self.run_id}{self.name}",
            BENCH_PEER_PERSIST="1" if self.persist else "",
            DJANGO_SETTINGS_MODULE="bench.peers.settings",
            PYTHONUNBUFFERED="1",
            **self.db_env,
        )

    def start(self):
        env = self.env()
        if self.persist:
            r = subprocess.run(
                [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if r.returncode:
                raise RuntimeError(f"peer migrate failed:\n{r.stderr[-3000:]}")
        self.servers = [Server(self.name, "bench.peers.asgi:application", REPO_ROOT, env, self.log_dir).start()]
        return self

    def new_topic(self, what: str = "room") -> str:
        self.rooms += 1
        return f"r{self.run_id}x{self.rooms}"

    def origin(self, server: Server) -> str:
        return f"http://{HOST}:{server.port}"

    async def open_subs(self, pool, group: str, n: int, topic: str, server: int = 0, users=None):
        s = self.servers[server]
        return await pool.open(group, HOST, s.port, f"/ws/chat/{topic}/", n, origin=self.origin(s))

    async def poster(self, topic: str, server: int = 0) -> Poster:
        s = self.servers[server]
        p = Poster(None, "peer", topic)
        p.ws = await connect(HOST, s.port, f"/ws/chat/{topic}/", {"Origin": self.origin(s)}, p.on_message)
        return p

    def collapse_errors(self) -> dict:
        out = {}
        for s in self.servers:
            for needle in ("MaxConnectionsError: Too many connections", "Exception inside application", '"WSREJECT'):
                c = s.count_in_log(needle)
                if c:
                    out[needle] = out.get(needle, 0) + c
        return out


class CeilingTarget(Target):
    """bench/ceiling_server.py: the load client's ceiling (the project's protocol, nothing behind it)."""

    mode = "project"
    name = "ceiling"

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.servers = []
        self.rooms = 0

    def start(self):
        cmd = [sys.executable, "-m", "bench.ceiling_server"]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        self.servers = [Server(self.name, "", REPO_ROOT, env, self.log_dir, cmd=cmd).start()]
        return self

    def new_topic(self, what: str = "room") -> str:
        self.rooms += 1
        return f"room:{self.rooms}"

    async def open_subs(self, pool, group: str, n: int, topic: str, server: int = 0, users=None):
        return await pool.open(group, HOST, self.servers[server].port, "/ws/", n, subscribe=topic)

    async def poster(self, topic: str, server: int = 0) -> Poster:
        p = Poster(None, "project", topic)
        p.ws = await connect(HOST, self.servers[server].port, "/ws/", {}, p.on_message)
        return p

    def collapse_errors(self) -> dict:
        return {k: c for k in ("Traceback",) if (c := self.servers[0].count_in_log(k))} if self.servers else {}
