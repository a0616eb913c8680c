"""`make run`'s launcher (scripts/serve.py): one line saying where it listens, once it really
does, and a clear refusal when the port is taken."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests import live_database
from tests.live import ROOT, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]  # `make run` serves SQLite


def launcher(port: int, tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "DJANGO_DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    live_database.sqlite_copy(env, env["SQLITE_PATH"])  # migrated, as `make run` leaves it
    return subprocess.Popen(
        [sys.executable, "scripts/serve.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr.log").open("w"),  # a pipe nobody reads would fill and stall the server
        text=True,
        start_new_session=True,  # its own process group: daphne goes with it at the end
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()  # the launcher passes SIGTERM on to daphne, which drains then exits
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_run_says_where_it_listens_once_it_answers(tmp_path):
    port = free_port()
    process = launcher(port, tmp_path)
    try:
        line = process.stdout.readline()  # blocks until the launcher has seen the port open
        assert line.startswith(f"Communecter Live: listening on http://127.0.0.1:{port}/"), line
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    finally:
        stop(process)


def test_run_on_a_taken_port_says_which_port_to_try(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = launcher(port, tmp_path)
        process.communicate(timeout=60)
    err = (tmp_path / "stderr.log").read_text()
    assert process.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use: try `make run PORT={port + 1}`" in err
