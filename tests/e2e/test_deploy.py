"""The scaled-out shape of docker-compose.yml: its file is consistent, and its nginx config
really carries WebSockets to two daphne workers (run here with the same nginx.conf)."""

from __future__ import annotations

import shutil

import httpx
import pytest
import websockets
import yaml

from tests.live import ROOT, LiveSocket

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


@pytest.mark.asyncio
@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None, reason="nginx/openssl missing")
async def test_nginx_tls_redirects_limits_and_carries_wss_to_both_workers(live_stack, nginx_proxy):
    stack = live_stack(processes=2, redis=True)
    proxy = nginx_proxy(stack.ports)
    redirect = httpx.get(f"{proxy.http_url}/api/rooms?commune=1", timeout=5)  # noqa: ASYNC210 - set-up, before any socket
    assert redirect.status_code == 301 and redirect.headers["location"] == "https://127.0.0.1/api/rooms?commune=1"
    (_, t_alice), (_, t_bob) = stack.create_users(2)
    with httpx.Client(base_url=proxy.https_url, verify=proxy.ssl_context, timeout=10) as https:
        assert https.get("/readyz").status_code == 200
        assert https.get("/metrics").status_code == 404  # scraped on the workers, never through the entrance
        too_big = https.post(
            "/api/rooms", content=b"x" * (2 * 1024 * 1024), headers={"Authorization": f"Bearer {t_alice}"}
        )
        assert too_big.status_code == 413
        created = https.post(
            "/api/rooms", json={"name": "Derrière nginx"}, headers={"Authorization": f"Bearer {t_alice}"}
        )
        assert created.status_code == 201, created.text
        topic = created.json()["topic"]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await LiveSocket.open(proxy.wss_url, t_alice, ssl=proxy.ssl_context, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    origin = f"https://127.0.0.1:{proxy.https_port}"  # the site itself, as a browser on it would send
    alice = await LiveSocket.open(proxy.wss_url, t_alice, ssl=proxy.ssl_context, origin=origin)
    bob = await LiveSocket.open(proxy.wss_url, t_bob, ssl=proxy.ssl_context)
    async with alice, bob:
        await alice.subscribe(topic)
        await bob.subscribe(topic)
        reply = await alice.request({"type": "post", "topic": topic, "body": "via nginx en TLS"})
        assert reply["type"] == "ok"
        event = await bob.wait_seq(topic, 1)
        assert event["data"]["body"] == "via nginx en TLS"
    # least_conn spread the two sockets over both workers: each daphne saw one handshake.
    assert all("WSCONNECT" in stack.log(f"daphne-{i}") for i in (0, 1))
