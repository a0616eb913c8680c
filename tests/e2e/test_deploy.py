"""The scaled-out shape of docker-compose.yml: its file is consistent, and its nginx config
really carries WebSockets to two daphne workers (run here with the same nginx.conf)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.live import ROOT, LiveSocket, free_port, wait_port
from tests.tools import require_tool

pytestmark = [pytest.mark.e2e]


def test_compose_runs_two_workers_the_scheduler_and_nginx_on_shared_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web1", "web2", "scheduler", "nginx"} <= set(services)
    for name in ("web1", "web2"):
        assert services[name]["command"][:1] == ["daphne"] and "config.asgi:application" in services[name]["command"]
    assert services["scheduler"]["command"] == ["python", "manage.py", "run_scheduler"]
    for name in ("web1", "web2", "scheduler"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://") and environment["REDIS_URL"].startswith("redis://")
        assert environment["SCHEDULER_IN_PROCESS"] == "0"  # one scheduler process, not one per worker
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    assert (ROOT / "Dockerfile").exists()


@pytest.fixture
def nginx_installed() -> None:
    require_tool("nginx")  # before the daphne workers start


@pytest.mark.asyncio
async def test_nginx_config_carries_websockets_to_both_workers(nginx_installed, live_stack):
    stack = live_stack(processes=2, redis=True)
    port = free_port()
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    config = config.replace("server web1:8000;", f"server 127.0.0.1:{stack.ports[0]};")
    config = config.replace("server web2:8000;", f"server 127.0.0.1:{stack.ports[1]};")
    config = config.replace("listen 80;", f"listen 127.0.0.1:{port};")
    workdir = Path(tempfile.mkdtemp(prefix="cl-nginx-"))
    (workdir / "site.conf").write_text(config)
    (workdir / "nginx.conf").write_text(
        f"daemon off; pid {workdir}/nginx.pid; error_log {workdir}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; client_body_temp_path {workdir}; proxy_temp_path {workdir};\n"
        f"include {workdir}/site.conf; }}\n"
    )
    nginx = subprocess.Popen(["nginx", "-c", str(workdir / "nginx.conf"), "-p", str(workdir)])  # noqa: ASYNC220 - set-up, before any socket
    try:
        wait_port(port, nginx)
        (_, t_alice), (_, t_bob) = stack.create_users(2)
        with stack.http(0, t_alice) as http:
            topic = http.post("/api/rooms", json={"name": "Derrière nginx"}).json()["topic"]
        url = f"ws://127.0.0.1:{port}/ws/"
        async with await LiveSocket.open(url, t_alice) as alice, await LiveSocket.open(url, t_bob) as bob:
            await alice.subscribe(topic)
            await bob.subscribe(topic)
            reply = await alice.request({"type": "post", "topic": topic, "body": "via nginx"})
            assert reply["type"] == "ok"
            event = await bob.wait_seq(topic, 1)
            assert event["data"]["body"] == "via nginx"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    # least_conn spread the two sockets over both workers: each daphne saw one handshake.
    assert all("WSCONNECT" in stack.log(f"daphne-{i}") for i in (0, 1))
