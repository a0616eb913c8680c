"""The project as a bench target: its fresh database, its daphne processes, its HTTP API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC
from pathlib import Path

import httpx

from bench.peer_targets import BENCH_REDIS_DB_CORE, BENCH_REDIS_DB_PUBSUB
from bench.servers import HOST, Server
from bench.targets import PROJECT_ROOT, REDIS, Poster, Target, pythonpath
from bench.wsclient import connect

BENCH_REDIS_DB_PROJECT = 12


class ProjectDatabase:
    """A fresh database for one bench run: a SQLite file, or a PostgreSQL database it creates and drops."""

    def __init__(self, kind: str, run_id: str):
        self.kind = kind
        self.run_id = run_id
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{run_id}-"))
        if kind == "postgres":
            self.name = f"bench_{run_id}"
            self.env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.name}"}
        else:
            self.name = str(self.tmp / "bench.sqlite3")
            self.env = {"DATABASE_URL": "", "SQLITE_PATH": self.name}

    def _admin(self, sql: str):
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def create(self):
        if self.kind == "postgres":
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self.kind == "postgres":
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            except Exception as exc:  # report, keep going
                print(f"  (could not drop {self.name}: {exc})")
        shutil.rmtree(self.tmp, ignore_errors=True)


class ProjectTarget(Target):
    """The project: ``config.asgi:application`` under daphne, one process or two sharing Redis."""

    mode = "project"

    def __init__(
        self,
        name: str,
        n_procs: int,
        db: ProjectDatabase,
        users: list,
        run_id: str,
        log_dir: Path,
        anonymous: bool = False,
        profile: bool = False,
        server_env: dict | None = None,
    ):
        self.name = name
        self.server_env = server_env or {}  # a phase's own settings (S9's stalled-readers shape)
        self.profile = profile
        self.n_procs = n_procs
        self.db = db
        self.users = users  # [[username, token], ...]; users[0] is the poster / creator
        self.run_id = run_id
        self.log_dir = log_dir
        self.anonymous = anonymous
        self.servers = []
        self.http = None

    def env(self) -> dict:
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="bench.project_settings",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-only-secret-key",
            RATE_LIMIT_PER_SECOND="100000",
            RATE_LIMIT_BURST="100000",
            LOGIN_BURST="100000",
            REGISTER_BURST="100000",
            SOCKETS_PER_IP="1000000",
            SOCKETS_PER_USER="1000000",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            BENCH_REDIS_PREFIX=f"clb{self.run_id}",
            PYTHONPATH=pythonpath(),
            **self.db.env,
            **self.server_env,
        )
        env.pop("REDIS_URL", None)
        if self.n_procs > 1:
            env["REDIS_URL"] = f"{REDIS}/{BENCH_REDIS_DB_PROJECT}"
        return env

    def start(self):
        env = self.env()
        self.servers = []
        for k in range(self.n_procs):
            self.servers.append(
                Server(
                    f"{self.name}-{k}", "config.asgi:application", PROJECT_ROOT, env, self.log_dir, profile=self.profile
                ).start()
            )
        self.http = httpx.AsyncClient(
            base_url=f"http://{HOST}:{self.servers[0].port}",
            timeout=30,
            headers={"Authorization": f"Bearer {self.users[0][1]}"},
        )
        return self

    def stop(self):
        super().stop()

    async def aclose(self):
        if self.http is not None:
            await self.http.aclose()
            self.http = None

    async def _create(self, path: str, payload: dict) -> dict:
        r = await self.http.post(path, json=payload)
        if r.status_code not in (200, 201):
            raise RuntimeError(f"POST {path} -> {r.status_code}: {r.text[:300]}")
        return r.json()

    async def new_topic(self, what: str = "room", **kw) -> str:
        if what == "room":
            d = await self._create(
                "/api/rooms", {"name": f"bench {self.run_id} {uuid.uuid4().hex[:6]}", "visibility": "public"}
            )
        elif what == "event":
            from datetime import datetime, timedelta

            start = datetime.now(UTC) + timedelta(days=7)
            d = await self._create(
                "/api/events",
                {
                    "title": f"bench event {self.run_id}",
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=2)).isoformat(),
                    "capacity": kw.get("capacity"),
                },
            )
        elif what == "proposal":
            # A proposal belongs to a room (public: any signed-in user may vote, the default eligibility).
            room = await self._create(
                "/api/rooms", {"name": f"bench votes {self.run_id} {uuid.uuid4().hex[:6]}", "visibility": "public"}
            )
            d = await self._create(
                "/api/proposals",
                {"title": f"bench proposal {self.run_id}", "body": "Shall the bench pass?", "room": room["id"]},
            )
        else:
            raise ValueError(what)
        return d["topic"]

    async def get(self, path: str) -> dict:
        r = await self.http.get(path)
        r.raise_for_status()
        return r.json()

    def headers_for(self, users) -> list:
        return [{"Authorization": f"Bearer {tok}"} for _, tok in users]

    async def open_subs(self, pool, group: str, n: int, topic: str, server: int = 0, users=None):
        s = self.servers[server]
        headers = None
        if not self.anonymous:
            users = users if users is not None else self.users[1 : n + 1]
            headers = self.headers_for(users[:n])
        return await pool.open(group, HOST, s.port, "/ws/", n, headers=headers, subscribe=topic)

    async def open_writers(self, pool, group: str, users, server: int = 0):
        s = self.servers[server]
        return await pool.open(group, HOST, s.port, "/ws/", len(users), headers=self.headers_for(users))

    async def poster(self, topic: str, server: int = 0) -> Poster:
        s = self.servers[server]
        p = Poster(None, "project", topic)
        p.ws = await connect(HOST, s.port, "/ws/", {"Authorization": f"Bearer {self.users[0][1]}"}, p.on_message)
        return p

    def collapse_errors(self) -> dict:
        out = {}
        for s in self.servers:
            for needle in ("Traceback", "ERROR", '"WSREJECT'):
                c = s.count_in_log(needle)
                if c:
                    out[needle] = out.get(needle, 0) + c
        return out


def project_prepare(db: ProjectDatabase, n_users: int, progress) -> list:
    """Create the database, migrate it and seed the users; returns [[username, token], ...]."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-only-secret-key",
        LOG_LEVEL="WARNING",
        PYTHONPATH=pythonpath(),
        **db.env,
    )
    env.pop("REDIS_URL", None)
    db.create()
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode:
        raise RuntimeError(f"migrate failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
    progress(f"project database migrated ({db.kind}, {time.monotonic() - t0:.1f} s)")
    out = db.tmp / "users.json"
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "bench.seed", str(n_users), str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode:
        raise RuntimeError(f"seeding users failed:\n{r.stderr[-4000:]}")
    progress(f"{n_users} users and tokens seeded in bulk ({time.monotonic() - t0:.1f} s)")
    return json.loads(out.read_text())


def redis_cleanup(run_id: str) -> int:
    """Delete the keys this run left in its Redis DBs (group memberships, presence versions)."""
    import redis

    removed = 0
    for db, prefix in (
        (BENCH_REDIS_DB_CORE, f"bench{run_id}"),
        (BENCH_REDIS_DB_PUBSUB, f"bench{run_id}"),
        (BENCH_REDIS_DB_PROJECT, f"clb{run_id}"),
    ):
        r = redis.Redis.from_url(f"{REDIS}/{db}", socket_timeout=5)
        try:
            keys = list(r.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                removed += r.delete(*keys)
        finally:
            r.close()
    return removed
