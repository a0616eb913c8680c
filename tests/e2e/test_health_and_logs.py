"""Health endpoints and logs of a real daphne process: /readyz follows Redis; the logs hold no secret."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e]

PROBE_TIMEOUT = 20.0


def wait_ready(url: str, status: int) -> dict:
    """Poll /readyz until it answers `status` (readiness has no push signal; probes poll it too)."""
    deadline = time.monotonic() + PROBE_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=3)
            if last.status_code == status:
                return last.json()
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered {status}; last: {last and last.text}")


def test_readyz_is_not_ready_while_redis_is_stopped_and_ready_after(live_stack):
    stack = live_stack(processes=1, redis=True)
    url = f"{stack.http_url(0)}/readyz"
    ready = wait_ready(url, 200)
    assert ready == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "hub": "ok", "draining": "ok"}}

    stack.redis_stop()
    down = wait_ready(url, 503)
    assert down["status"] == "not ready"
    assert down["checks"]["database"] == "ok" and down["checks"]["redis"].startswith("failing")
    alive = httpx.get(f"{stack.http_url(0)}/healthz", timeout=3)
    assert alive.status_code == 200 and alive.json() == {"status": "alive"}  # alive, only not ready

    stack.redis_start()
    assert wait_ready(url, 200)["checks"] == {"database": "ok", "redis": "ok", "hub": "ok", "draining": "ok"}


def test_health_endpoints_need_no_credentials_and_are_not_rate_limited(live_stack):
    stack = live_stack(processes=1, env={"RATE_LIMIT_PER_SECOND": "1", "RATE_LIMIT_BURST": "1"})
    with httpx.Client(base_url=stack.http_url(0), timeout=5) as http:
        statuses = {http.get(path).status_code for _ in range(30) for path in ("/healthz", "/readyz")}
    assert statuses == {200}


@pytest.mark.asyncio
async def test_logs_are_json_lines_with_ids_and_outcomes_and_no_secrets(live_stack):
    stack = live_stack(processes=1, env={"LOG_LEVEL": "INFO", "LOG_FORMAT": "json"})
    password = "mot-de-passe-tres-secret-42"
    with stack.http(0) as http:
        token = http.post("/api/auth/register", json={"username": "camille", "password": password}).json()["token"]
    body = "Rendez-vous confidentiel au kiosque 7431"
    label = "Option-Secrete-Rouge"
    with stack.http(0, token) as http:
        room = http.post("/api/rooms", json={"name": "Salon"}).json()
        proposal = http.post(
            "/api/proposals",
            json={"title": "Kiosque", "body": "Vote secret", "choices": [label, "Option-Bleue"], "room": room["id"]},
        ).json()
        options = http.get(f"/api/proposals/{proposal['id']}").json()["options"]
    secret_key = next(option["key"] for option in options if option["label"] == label)
    async with await LiveSocket.open(stack.ws_url(0), token) as ws:
        await ws.subscribe(room["topic"])
        posted = await ws.request({"type": "post", "topic": room["topic"], "body": body})
        voted = await ws.request({"type": "vote", "topic": proposal["topic"], "choice": secret_key})
        refused = await ws.request({"type": "post", "topic": "room:999999", "body": body})
    assert posted["type"] == "ok" and voted["type"] == "ok" and refused["type"] == "error"

    # Every application line is one JSON object (daphne's own access lines aside).
    lines = [json.loads(line) for line in stack.log("daphne-0").splitlines() if line.startswith("{")]
    commands = [line for line in lines if line["logger"] == "realtime.commands"]
    post_line = next(line for line in commands if line["command"] == "post" and line["outcome"] == "ok")
    user_id = post_line["user"]
    assert isinstance(user_id, int) and post_line["socket"] and post_line["duration_ms"] >= 0
    assert any(line["command"] == "vote" and line["outcome"] == "ok" and line["user"] == user_id for line in commands)
    assert any(line["command"] == "post" and line["outcome"] == "not_found" for line in commands)
    requests = [line for line in lines if line["logger"] == "http.requests"]
    assert any(line["path"] == "/api/auth/register" and line["outcome"] == 201 and line["request"] for line in requests)

    text = stack.log("daphne-0")
    for secret in (password, token, body, label, f'"{secret_key}"', "choice"):
        assert secret not in text, f"{secret!r} leaked into the logs"
