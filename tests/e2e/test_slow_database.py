"""A row lock held on one topic from another connection (as from `psql`) freezes nothing else.

PostgreSQL only: SQLite has one writer anyway and no lock_timeout. A real daphne process, a
real lock: the test holds the topic's row in its own transaction while clients write to it
and, meanwhile, use an unrelated room.
"""

from __future__ import annotations

import asyncio
import os

import psycopg
import pytest

from tests.live import LiveSocket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL (row locks)"
    ),
]


def room_create(stack, token: str, name: str) -> str:
    with stack.http(0, token) as http:
        response = http.post("/api/rooms", json={"name": name, "visibility": "public"})
        assert response.status_code == 201, response.text
        return response.json()["topic"]


async def test_a_locked_topic_answers_rate_limited_and_other_topics_keep_working(live_stack):
    stack = live_stack(env={"DB_THREADS": "4", "DATABASE_LOCK_TIMEOUT": "2", "DB_WAIT_SECONDS": "2"})
    (_, t_alice), (_, t_bob) = stack.create_users(2)
    locked, free = room_create(stack, t_alice, "Bloquée"), room_create(stack, t_alice, "Libre")
    async with (
        await LiveSocket.open(stack.ws_url(), t_alice) as alice,
        await LiveSocket.open(stack.ws_url(), t_bob) as bob,
    ):
        writers = [await LiveSocket.open(stack.ws_url(), t_alice) for _ in range(12)]
        first = await alice.request({"type": "post", "topic": locked, "body": "avant le verrou"})
        assert first["type"] == "ok"
        with psycopg.connect(stack.env["DATABASE_URL"]) as holder:
            # The same row every writer of `locked` must update to take the next seq.
            holder.execute("SELECT head FROM realtime_topic WHERE name = %s FOR UPDATE", [locked])
            # Twelve people write to it at once (one socket answers its commands one at a time, so
            # each their own socket): they wait together, not one after the other.
            stuck = [
                asyncio.ensure_future(writer.request({"type": "post", "topic": locked, "body": f"bloqué {i}"}, 60))
                for i, writer in enumerate(writers)
            ]
            # While 12 writes queue on the lock, the unrelated room answers: subscribe, post, read.
            assert (await bob.subscribe(free))["type"] == "subscribed"
            posted = await bob.request({"type": "post", "topic": free, "body": "ailleurs ça marche"}, 60)
            assert posted["type"] == "ok", posted
            await bob.wait_seq(free, 1)
            # Every write on the locked topic gets an answer while the lock is still held.
            replies = await asyncio.gather(*stuck)
            assert {r["type"] for r in replies} == {"error"}, replies
            assert {r["code"] for r in replies} == {"rate_limited"}, replies
            assert all(r["retry_after"] > 0 for r in replies)
            holder.rollback()
        # Lock released: the topic works again, and nothing half-written is left (seqs 1, 2).
        again = await alice.request({"type": "post", "topic": locked, "body": "après le verrou"})
        assert again["type"] == "ok" and again["data"]["seq"] == 2
        assert (await alice.subscribe(locked, since=0))["seq"] == 2
        await alice.wait_seq(locked, 2)
        assert alice.seqs(locked) == [1, 2]
        for writer in writers:
            await writer.close()
    assert "Traceback" not in stack.log("daphne-0")
