"""/metrics of real daphne processes sharing a PROMETHEUS_MULTIPROC_DIR: private, and counting exactly."""

from __future__ import annotations

import tempfile

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e]

TOKEN = "scraper-token-for-the-test"


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_stack(live_stack):
    directory = tempfile.mkdtemp(prefix="cl-prom-")
    env = {"PROMETHEUS_MULTIPROC_DIR": directory, "METRICS_TOKEN": TOKEN, "METRICS_ALLOWED_NETWORKS": "127.0.0.1/32"}
    return live_stack(processes=2, redis=True, env=env)


def test_metrics_are_refused_to_the_public(metrics_stack):
    url = f"{metrics_stack.http_url(0)}/metrics"
    through_proxy = {"X-Forwarded-For": "203.0.113.9"}
    assert httpx.get(url, headers=through_proxy).status_code == 403  # local socket, but relayed by a proxy
    assert httpx.get(url, headers={**through_proxy, "Authorization": "Bearer guess"}).status_code == 403
    assert httpx.get(url, headers={"Authorization": "Bearer guess"}).status_code == 403  # a wrong token decides
    assert httpx.get(url, headers={**through_proxy, "Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert httpx.get(url).status_code == 200  # a direct connection from an allowed network
    assert "cl_sockets_open" in httpx.get(url).text


@pytest.mark.asyncio
async def test_metrics_count_a_scripted_exchange_over_both_processes(metrics_stack):
    stack = metrics_stack
    (_, t_alice), (_, t_bob) = stack.create_users(2)
    with stack.http(0, t_alice) as http:
        topic = http.post("/api/rooms", json={"name": "Compteurs"}).json()["topic"]
    before = scrape(stack.http_url(1))
    async with (
        await LiveSocket.open(stack.ws_url(0), t_alice) as alice,
        await LiveSocket.open(stack.ws_url(1), t_bob) as bob,
    ):
        await alice.subscribe(topic)
        await bob.subscribe(topic, since=0)
        for n in range(3):
            assert (await alice.request({"type": "post", "topic": topic, "body": f"m{n}"}))["type"] == "ok"
        for _ in range(2):
            assert (await bob.request({"type": "ping"}))["type"] == "pong"
        await alice.wait_seq(topic, 3)
        await bob.wait_seq(topic, 3)
        during = scrape(stack.http_url(1))  # process 1 answers for both: one directory per host

    def delta(samples, name, **labels):
        return value(samples, name, **labels) - value(before, name, **labels)

    assert delta(during, "cl_frames_sent_total", kind="subscribed") == 2
    assert delta(during, "cl_frames_sent_total", kind="ok") == 3
    assert delta(during, "cl_frames_sent_total", kind="event") == 6  # three events to each of two sockets
    assert delta(during, "cl_frames_sent_total", kind="pong") == 2
    assert delta(during, "cl_commands_total", command="post", outcome="ok") == 3
    assert delta(during, "cl_write_seconds_count", command="post") == 3
    # Each post timed once while queued; the batches (up to three) once per stage; each event's
    # fan-out once in each process that serves the topic.
    assert delta(during, "cl_write_stage_seconds_count", stage="queued", kind="room") == 3
    batches = delta(during, "cl_write_stage_seconds_count", stage="run", kind="room")
    assert 1 <= batches <= 3 and delta(during, "cl_write_stage_seconds_count", stage="answered", kind="room") == batches
    assert delta(during, "cl_fanout_seconds_count") == 6
    assert delta(during, "cl_replay_requests_total") == 1
    assert delta(during, "cl_deliveries_total") == 6  # each process handed three events to its one subscriber
    assert value(during, "cl_sockets_open") == 2
    assert value(during, "cl_subscriptions") == 2 and value(during, "cl_topics_served") == 2  # one per process
