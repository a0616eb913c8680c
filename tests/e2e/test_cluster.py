"""Real daphne processes sharing a real Redis and a real database; faults injected while messages flow.

The §4 promise is checked from the client's side: the seqs a client holds for a topic are
exactly 1..N, in order — no gap, no duplicate — across Redis restarts and a killed server.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def room_create(stack, token: str, index: int = 0) -> str:
    with stack.http(index, token) as http:
        response = http.post("/api/rooms", json={"name": "Conseil de quartier", "visibility": "public"})
        assert response.status_code == 201, response.text
        return response.json()["topic"]


async def post(socket: LiveSocket, topic: str, body: str) -> dict:
    reply = await socket.request({"type": "post", "topic": topic, "body": body}, timeout=20)
    assert reply["type"] == "ok", reply
    return reply["data"]


async def test_a_post_on_one_process_reaches_both_once_in_order(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (_, t_bob), (_, t_carol) = stack.create_users(3)
    topic = room_create(stack, t_alice)
    async with (
        await LiveSocket.open(stack.ws_url(0), t_alice) as alice,
        await LiveSocket.open(stack.ws_url(0), t_bob) as bob,
        await LiveSocket.open(stack.ws_url(1), t_carol) as carol,
    ):
        for socket in (alice, bob, carol):
            assert (await socket.subscribe(topic))["seq"] == 0
        for i in range(30):
            await post(alice, topic, f"message {i}")
        for socket in (alice, bob, carol):
            await socket.wait_seq(topic, 30)
        await carol.request({"type": "ping"})  # anything late would arrive before this pong... or not at all
        for socket in (alice, bob, carol):
            assert socket.seqs(topic) == list(range(1, 31))
        assert [e["data"]["body"] for e in carol.events(topic)] == [f"message {i}" for i in range(30)]


async def test_redis_restart_while_messages_flow_loses_nothing(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (_, t_bob) = stack.create_users(2)
    topic = room_create(stack, t_alice)
    async with (
        await LiveSocket.open(stack.ws_url(0), t_alice) as alice,
        await LiveSocket.open(stack.ws_url(1), t_bob) as bob,
    ):
        await alice.subscribe(topic)
        await bob.subscribe(topic)
        for i in range(10):
            await post(alice, topic, f"before {i}")
        await bob.wait_seq(topic, 10)
        stack.redis_stop()
        for i in range(10):
            await post(alice, topic, f"during {i}")  # committed; Redis is gone
        stack.redis_start()  # empty, same port: every process must resubscribe and backfill
        for i in range(10):
            await post(alice, topic, f"after {i}")
        await bob.wait_seq(topic, 30, timeout=30)
        await alice.wait_seq(topic, 30)
        # A client that was away during the outage resumes with since and also gets everything once.
        async with await LiveSocket.open(stack.ws_url(1), t_bob) as late:
            reply = await late.subscribe(topic, since=5)
            assert reply["seq"] == 30
            await late.wait_seq(topic, 30)
            assert late.seqs(topic) == list(range(6, 31))
        assert bob.seqs(topic) == list(range(1, 31))
        assert alice.seqs(topic) == list(range(1, 31))


async def test_killed_process_clients_resume_elsewhere_with_since(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (_, t_bob) = stack.create_users(2)
    topic = room_create(stack, t_alice)
    total = 60
    async with await LiveSocket.open(stack.ws_url(0), t_alice) as alice:
        await alice.subscribe(topic)
        bob = await LiveSocket.open(stack.ws_url(1), t_bob)
        await bob.subscribe(topic)
        held: list[dict] = []

        async def poster() -> None:
            for i in range(total):
                await post(alice, topic, f"m{i}")

        posting = asyncio.create_task(poster())
        await bob.wait_seq(topic, 15, timeout=20)
        stack.kill(1)  # SIGKILL while messages flow
        await asyncio.wait_for(bob.closed.wait(), 10)
        held.extend(bob.events(topic))
        since = held[-1]["seq"]
        async with await LiveSocket.open(stack.ws_url(0), t_bob) as resumed:
            await resumed.subscribe(topic, since=since)
            await posting
            await resumed.wait_seq(topic, total, timeout=20)
            held.extend(resumed.events(topic))
        assert [e["seq"] for e in held] == list(range(1, total + 1))
        assert [e["data"]["body"] for e in held] == [f"m{i}" for i in range(total)]


async def test_single_process_without_redis_serves_http_and_socket(live_stack):
    """The README's shape: one process, in-process fan-out; HTTP writes reach sockets too."""
    stack = live_stack(processes=1, redis=False)
    (_, t_alice), (_, t_bob) = stack.create_users(2)
    topic = room_create(stack, t_alice)
    room_id = int(topic.split(":")[1])
    async with await LiveSocket.open(stack.ws_url(0), t_bob) as bob:
        await bob.subscribe(topic)
        with stack.http(0, t_alice) as http:
            for i in range(5):
                response = http.post(f"/api/rooms/{room_id}/messages", json={"body": f"http {i}", "ref": f"h{i}"})
                assert response.status_code == 201, response.text
            again = http.post(f"/api/rooms/{room_id}/messages", json={"body": "http 0", "ref": "h0"})
            assert again.json() == {"id": again.json()["id"], "seq": 1}
        await bob.wait_seq(topic, 5)
        assert bob.seqs(topic) == [1, 2, 3, 4, 5]


async def test_posts_from_two_processes_reach_a_third_in_seq_order(live_stack):
    """Two publishers race on one topic; a subscriber on a third process still sees 1..N in order."""
    stack = live_stack(processes=3, redis=True)
    (_, t_alice), (_, t_bob), (_, t_carol) = stack.create_users(3)
    topic = room_create(stack, t_alice)
    async with (
        await LiveSocket.open(stack.ws_url(0), t_alice) as alice,
        await LiveSocket.open(stack.ws_url(1), t_bob) as bob,
        await LiveSocket.open(stack.ws_url(2), t_carol) as carol,
    ):
        await carol.subscribe(topic)

        async def burst(socket: LiveSocket, name: str) -> None:
            await asyncio.gather(*(post(socket, topic, f"{name} {i}") for i in range(40)))

        await asyncio.gather(burst(alice, "alice"), burst(bob, "bob"))
        await carol.wait_seq(topic, 80, timeout=30)
        assert carol.seqs(topic) == list(range(1, 81))
        bodies = [e["data"]["body"] for e in carol.events(topic)]
        assert sorted(bodies) == sorted([f"alice {i}" for i in range(40)] + [f"bob {i}" for i in range(40)])


async def test_presence_is_merged_across_processes(live_stack):
    stack = live_stack(processes=2, redis=True)
    (alice_name, t_alice), (bob_name, t_bob) = stack.create_users(2)
    topic = room_create(stack, t_alice)

    def presence(count):
        return lambda f: f["type"] == "state" and f["kind"] == "presence" and f["data"]["count"] == count

    async with await LiveSocket.open(stack.ws_url(0), t_alice) as alice:
        await alice.subscribe(topic)
        bob = await LiveSocket.open(stack.ws_url(1), t_bob)
        await bob.subscribe(topic)
        both = await alice.wait_for(presence(2), timeout=10)
        assert both["data"]["users"] == sorted([alice_name, bob_name])
        assert (await bob.wait_for(presence(2), timeout=10))["data"]["users"] == both["data"]["users"]
        await bob.close()
        alone = await alice.wait_for(presence(1), timeout=10, seen=False)
        assert alone["data"]["users"] == [alice_name] and alone["data"]["version"] > both["data"]["version"]
