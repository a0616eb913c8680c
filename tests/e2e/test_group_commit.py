"""Group commit seen from the clients: many writers at once on one topic, over two real daphne
processes sharing the database and Redis — gapless seqs, idempotent resends, exact tallies,
one vote per person, and each writer's own error answered to that writer alone."""

from __future__ import annotations

import asyncio

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

WRITERS = 24
POSTS_EACH = 5


def http_post(stack, token: str, path: str, payload: dict) -> dict:
    with stack.http(0, token) as http:
        response = http.post(path, json=payload)
        assert response.status_code in (200, 201), response.text
        return response.json()


async def open_all(stack, tokens: list[str]) -> list[LiveSocket]:
    return list(await asyncio.gather(*(LiveSocket.open(stack.ws_url(i % 2), t) for i, t in enumerate(tokens))))


async def test_a_post_storm_over_two_processes_commits_gapless_and_answers_each_writer(live_stack):
    stack = live_stack(processes=2, redis=True, env={"REALTIME_GROUP_COMMIT": "1"})
    users = stack.create_users(WRITERS + 1)
    topic = http_post(stack, users[0][1], "/api/rooms", {"name": "Assemblée", "visibility": "public"})["topic"]
    watcher = await LiveSocket.open(stack.ws_url(1), users[0][1])
    writers = await open_all(stack, [t for _, t in users[1:]])
    try:
        assert (await watcher.subscribe(topic))["seq"] == 0

        def frame(w: int, n: int) -> dict:
            return {"type": "post", "topic": topic, "body": f"w{w} n{n}", "ref": f"w{w}-n{n}"}

        requests = [writers[w].request(frame(w, n), timeout=60) for w in range(WRITERS) for n in range(POSTS_EACH)]
        requests.append(writers[0].request(frame(0, 0), timeout=60))  # a resend of the same ref, mid-storm
        bad = {"type": "post", "topic": topic, "body": "reply", "reply_to": 999999999, "ref": "bad-reply"}
        requests.append(writers[1].request(bad, timeout=60))
        replies = await asyncio.gather(*requests)

        oks, resend, error = replies[:-2], replies[-2], replies[-1]
        assert all(r["type"] == "ok" for r in oks), [r for r in oks if r["type"] != "ok"][:3]
        total = WRITERS * POSTS_EACH
        assert sorted(r["data"]["seq"] for r in oks) == list(range(1, total + 1))
        assert resend["type"] == "ok" and resend["data"] == oks[0]["data"]
        assert error["type"] == "error" and error["code"] == "not_found" and error["ref"] == "bad-reply"

        await watcher.wait_seq(topic, total, timeout=30)
        await watcher.request({"type": "ping"})
        assert watcher.seqs(topic) == list(range(1, total + 1))
        bodies = sorted(e["data"]["body"] for e in watcher.events(topic))
        assert bodies == sorted(f"w{w} n{n}" for w in range(WRITERS) for n in range(POSTS_EACH))
    finally:
        for socket in [watcher, *writers]:
            await socket.close()


async def test_a_vote_storm_over_two_processes_keeps_one_vote_each_and_exact_counts(live_stack):
    stack = live_stack(processes=2, redis=True, env={"REALTIME_GROUP_COMMIT": "1"})
    users = stack.create_users(WRITERS + 1)
    owner = users[0][1]
    room = http_post(stack, owner, "/api/rooms", {"name": "Budget participatif", "visibility": "public"})
    proposal = http_post(
        stack, owner, "/api/proposals", {"title": "Des bancs", "body": "Place du marché ?", "room": room["id"]}
    )
    topic = proposal["topic"]
    with stack.http(0, owner) as http:
        keys = [o["key"] for o in http.get(f"/api/proposals/{proposal['id']}").json()["options"]]
    voters = await open_all(stack, [t for _, t in users[1:]])
    try:
        frames = [
            {"type": "vote", "topic": topic, "choice": keys[i % len(keys)], "ref": f"vote-{i}"} for i in range(WRITERS)
        ]
        requests = [voters[i].request(frames[i], timeout=60) for i in range(WRITERS)]
        requests += [voters[i].request(frames[i], timeout=60) for i in range(3)]  # resends, same refs
        replies = await asyncio.gather(*requests)
        assert all(r["type"] == "ok" for r in replies), [r for r in replies if r["type"] != "ok"][:3]
        assert [r["data"] for r in replies[-3:]] == [r["data"] for r in replies[:3]]

        with stack.http(1, owner) as http:
            detail = http.get(f"/api/proposals/{proposal['id']}").json()
        expected = {k: sum(1 for i in range(WRITERS) if keys[i % len(keys)] == k) for k in keys}
        counts = {k: v for k, v in detail["tally"]["counts"].items() if v}
        assert counts == {k: v for k, v in expected.items() if v}
        assert detail["tally"]["total"] == WRITERS
    finally:
        for socket in voters:
            await socket.close()


async def test_one_user_s_write_limit_stays_exact_when_batches_take_their_tokens_at_once(live_stack):
    """A batch asks Redis for its writes' rate-limit tokens in one call; writes it leaves for the next
    batch (here every one but the first: a 1 µs budget) give theirs back. One user writing from 20
    sockets on two processes at once (a socket has one write in flight, so a batch holds several of
    the user's sockets) gets exactly the burst accepted, whatever the batching."""
    burst, sockets_each = 12, 10
    stack = live_stack(
        processes=2,
        redis=True,
        env={
            "REALTIME_GROUP_COMMIT": "1",
            "RATE_LIMIT_PER_SECOND": "0.001",  # no refill during the test
            "RATE_LIMIT_BURST": str(burst),
            "REALTIME_GROUP_COMMIT_BUDGET_MS": "0.001",
        },
    )
    (_, owner), (_, writer) = stack.create_users(2)
    topic = http_post(stack, owner, "/api/rooms", {"name": "Conseil de quartier", "visibility": "public"})["topic"]
    watcher = await LiveSocket.open(stack.ws_url(0), owner)
    sockets = await asyncio.gather(*(LiveSocket.open(stack.ws_url(i % 2), writer) for i in range(2 * sockets_each)))
    try:
        assert (await watcher.subscribe(topic))["seq"] == 0
        replies = await asyncio.gather(
            *(
                socket.request({"type": "post", "topic": topic, "body": f"s{i}", "ref": f"s{i}"}, timeout=60)
                for i, socket in enumerate(sockets)
            )
        )
        accepted = [r for r in replies if r["type"] == "ok"]
        refused = [r for r in replies if r["type"] == "error"]
        assert len(accepted) == burst, [r.get("code") for r in refused]
        assert len(refused) == len(sockets) - burst and {r["code"] for r in refused} == {"rate_limited"}
        assert all(r["retry_after"] > 0 for r in refused)
        await watcher.wait_seq(topic, burst, timeout=30)
        await watcher.request({"type": "ping"})
        assert watcher.seqs(topic) == list(range(1, burst + 1))
    finally:
        for socket in [watcher, *sockets]:
            await socket.close()
