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
