"""Browser tests: a live daphne server (its own SQLite file) driven by Debian's headless Chromium.

The server owns its database: these tests never touch pytest-django's test database; they set
data up through the public HTTP API, exactly as a client would.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import live_database
from tests.tools import require_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"
# Generous: two cores are shared with other work; expectations still finish as soon as they hold.
EXPECT_TIMEOUT_MS = 15_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict | None = None

    def run_python(self, code: str) -> str:
        """Run Django code against the server's database, as staff would in the admin (e.g. to
        grant a role no API grants). Returns what it printed."""
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=REPO_ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=f"{self.url}/api", headers=headers, timeout=15)

    def register(self, username: str) -> str:
        with self.api() as client:
            response = client.post("/auth/register", json={"username": username, "password": PASSWORD})
            response.raise_for_status()
            return response.json()["token"]

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _server_env(workdir: Path) -> dict:
    """A fresh SQLite database, in-process fan-out (no Redis), the communes of La Réunion loaded."""
    env = {
        **os.environ,
        "SQLITE_PATH": str(workdir / "db.sqlite3"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RATE_LIMIT_PER_SECOND": "50",
        "RATE_LIMIT_BURST": "50",
        "DJANGO_SETTINGS_MODULE": "tests.browser.settings",  # config.settings with a fast password hasher
        "PYTHONUNBUFFERED": "1",
        # No network in tests: the map draws its markers without tiles.
        "MAP_TILE_URL": "",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    live_database.sqlite_copy(env, env["SQLITE_PATH"])  # migrated once per test process
    # The communes of La Réunion, for the commune search.
    subprocess.run([sys.executable, "manage.py", "loaddata", "reunion", "-v0"], cwd=REPO_ROOT, env=env, check=False)
    return env


def _wait_until_serving(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"daphne exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            server.process.terminate()
            raise RuntimeError(f"daphne did not answer within 60 s:\n{server.log_tail()}")
        time.sleep(0.2)  # polling a process that is starting, not synchronising the UI


@pytest.fixture(scope="package")  # stopped before other packages: a running Playwright loop blocks pytest-asyncio
def daphne_server(tmp_path_factory):
    require_tool("chromium", CHROMIUM)
    workdir = tmp_path_factory.mktemp("live")
    env = _server_env(workdir)
    port = _free_port()
    log_path = workdir / "daphne.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, env=env)
    _wait_until_serving(server)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="package")  # stopped before other packages: a running Playwright loop blocks pytest-asyncio
def chromium(daphne_server):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class Screens:
    """Pages of one test; each one's final screen is saved as a PNG when the test ends."""

    def __init__(self, browser, daphne_server, test_name: str) -> None:
        self.browser = browser
        self.server = daphne_server
        self.test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.pages: list[tuple[str, object]] = []
        self.contexts: list[object] = []
        self.console_errors: list[str] = []

    def new_page(self, label: str, *, phone: bool = False, timezone_id: str = "Indian/Reunion"):
        options = {
            "base_url": self.server.url,
            "locale": "fr-FR",
            "timezone_id": timezone_id,
        }
        if phone:
            options.update(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        else:
            options.update(viewport={"width": 1200, "height": 900})
        context = self.browser.new_context(**options)
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.console_errors.append(f"{label}: {msg.text}"),
        )
        page.on("pageerror", lambda exc: self.console_errors.append(f"{label}: {exc}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.console_errors.append(f"{label}: HTTP {r.status} {r.url}"),
        )
        self.pages.append((label, page))
        return page

    def signed_up(
        self,
        label: str,
        username: str,
        *,
        phone: bool = False,
        timezone_id: str = "Indian/Reunion",
    ):
        """A page whose user signed up through the UI (token in localStorage, session cookie set)."""
        from playwright.sync_api import expect

        page = self.new_page(label, phone=phone, timezone_id=timezone_id)
        page.goto("/#/signin")
        page.get_by_test_id("register-username").fill(username)
        page.get_by_test_id("register-password").fill(PASSWORD)
        page.get_by_test_id("register-submit").click()
        expect(page.get_by_test_id("me")).to_contain_text(username)
        expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
        return page

    def token_of(self, page) -> str:
        return page.evaluate("() => localStorage.getItem('cl.token')")

    def save(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for label, page in self.pages:
            try:
                page.screenshot(
                    path=str(ARTIFACTS / f"{self.test_name}-{label}.png"),
                    full_page=True,
                )
            except Exception:  # noqa: BLE001 - a closed page must not hide the test's own failure
                pass
        for context in self.contexts:
            context.close()


@pytest.fixture
def screens(chromium, daphne_server, request):
    s = Screens(chromium, daphne_server, request.node.name)
    yield s
    s.save()
