"""The scaled-out shape of docker-compose.yml: its file is consistent, and its nginx config
really carries WebSockets to two daphne workers (run here with the same nginx.conf)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
import websockets
import yaml
from prometheus_client import Counter, Gauge, Histogram

from realtime import metrics
from tests.live import ROOT, LiveSocket

pytestmark = [pytest.mark.e2e]


def test_compose_runs_two_workers_the_scheduler_and_nginx_on_shared_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web1", "web2", "scheduler", "nginx"} <= set(services)
    for name in ("web1", "web2"):
        # The graceful launcher (SIGTERM drains with 4012), ready only when /readyz says so.
        assert services[name]["command"][:3] == ["python", "-m", "config.server"]
        assert "config.asgi:application" in services[name]["command"]
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
        assert services["nginx"]["depends_on"][name] == {"condition": "service_healthy"}
    assert services["scheduler"]["command"] == ["python", "manage.py", "run_scheduler"]
    for name in ("web1", "web2", "scheduler"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://") and environment["REDIS_URL"].startswith("redis://")
        assert environment["SCHEDULER_IN_PROCESS"] == "0"  # one scheduler process, not one per worker
        assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")  # no default secret
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    assert {"80:80", "443:443"} == set(services["nginx"]["ports"])
    assert (ROOT / "Dockerfile").exists()


def test_monitoring_profile_scrapes_the_workers_and_the_dashboard_uses_real_metrics():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape["metrics_path"] == "/metrics"
    assert set(scrape["static_configs"][0]["targets"]) == {"web1:8000", "web2:8000"}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "communecter.json").read_text())
    used = {
        re.sub(r"_(total|bucket|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bcl_[a-z_]+", target["expr"])
    }
    defined = {
        collector._name for collector in vars(metrics).values() if isinstance(collector, Counter | Gauge | Histogram)
    }
    assert used == defined  # every panel draws a metric the code exports, and every metric is drawn


def test_systemd_units_run_the_graceful_launcher_and_the_scheduler():
    web = (ROOT / "deploy" / "systemd" / "communecter-web@.service").read_text()
    assert "-m config.server -b 127.0.0.1 -p %i config.asgi:application" in web
    assert "KillSignal=SIGTERM" in web and "PROMETHEUS_MULTIPROC_DIR=" in web
    assert "manage.py run_scheduler" in (ROOT / "deploy" / "systemd" / "communecter-scheduler.service").read_text()


@pytest.mark.asyncio
async def test_nginx_tls_redirects_limits_and_carries_wss_to_both_workers(live_stack, nginx_proxy):
    stack = live_stack(
        processes=2, redis=True, env={"DJANGO_SECURE_PROXY_SSL_HEADER": "1"}
    )  # nginx sets X-Forwarded-Proto
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
