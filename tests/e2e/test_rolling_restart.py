"""A rolling restart under load: two daphne processes behind the real nginx (TLS), clients posting and
voting without pause; each process gets SIGTERM in turn and is started again. Clients that get 4012
reconnect through nginx, resume with `since` and resend unanswered writes with the same `ref`.

Figures are printed (run with -s) for the closing note.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from tests.live_deploy import ResumingClient

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio,
]

WRITERS = 6
PROPOSALS = 12


async def test_rolling_restart_loses_and_duplicates_nothing(live_stack, nginx_proxy):
    stack = live_stack(
        processes=2, redis=True, env={"DJANGO_SECURE_PROXY_SSL_HEADER": "1"}
    )  # nginx sets X-Forwarded-Proto
    proxy = nginx_proxy(stack.ports)
    users = stack.create_users(WRITERS + 1)
    (_, owner), writers = users[0], [token for _, token in users[1:]]
    with stack.http(0, owner) as http:
        room = http.post("/api/rooms", json={"name": "Redémarrage"}).json()
        proposals = [
            http.post("/api/proposals", json={"title": f"P{i}", "body": "…", "room": room["id"]}).json()
            for i in range(PROPOSALS)
        ]
    topic = room["topic"]
    options = {"ssl": proxy.ssl_context}
    watcher = ResumingClient(proxy.wss_url, owner, **options)
    await watcher.subscribe(topic)

    ok_posts: list[str] = []
    ok_votes: list[tuple[int, str]] = []
    stop = asyncio.Event()
    progress = asyncio.Condition()

    async def writer(index: int, token: str) -> ResumingClient:
        client = ResumingClient(proxy.wss_url, token, **options)
        await client.subscribe(topic)
        n = 0
        while not stop.is_set():
            n += 1
            if n % 3 == 0 and n // 3 <= PROPOSALS:
                proposal = proposals[n // 3 - 1]
                choice = ("up", "down", "white")[index % 3]
                reply = await client.write({"type": "vote", "topic": proposal["topic"], "choice": choice})
                assert reply["type"] == "ok", reply  # a vote applied twice would answer `conflict`
                ok_votes.append((proposal["id"], choice))
            else:
                body = f"w{index}-{n}"
                reply = await client.write({"type": "post", "topic": topic, "body": body})
                assert reply["type"] == "ok", reply
                ok_posts.append(body)
            async with progress:
                progress.notify_all()
        return client

    async def written_at_least(count: int) -> None:
        async with progress:
            await asyncio.wait_for(progress.wait_for(lambda: len(ok_posts) + len(ok_votes) >= count), 60)

    tasks = [asyncio.create_task(writer(i, token)) for i, token in enumerate(writers)]
    await written_at_least(40)
    restarts = []
    for index in (0, 1):
        before = len(ok_posts) + len(ok_votes)
        started = time.monotonic()
        exit_code = await asyncio.to_thread(stack.terminate, index)
        drained_in = time.monotonic() - started
        await asyncio.to_thread(stack.server_start, index)
        restarts.append((index, exit_code, round(drained_in, 2), len(ok_posts) + len(ok_votes) - before))
        await written_at_least(len(ok_posts) + len(ok_votes) + 40)  # writes go on, on the restarted one too
    stop.set()
    clients = await asyncio.gather(*tasks)

    # Every ok'd post is in the database once, and every watcher saw each seq exactly once.
    stored = stack.run_python(
        f"""
from discussions.models import Message
from proposals.models import Vote
print(json.dumps({{
    "bodies": list(Message.objects.filter(room_id={room["id"]}).values_list("body", flat=True)),
    "votes": list(Vote.objects.filter(proposal__room_id={room["id"]}).values_list("proposal_id", "choice")),
}}))
"""
    )
    bodies = Counter(stored["bodies"])
    lost = [body for body in ok_posts if bodies[body] == 0]
    duplicated = [body for body, count in bodies.items() if count > 1]
    head = len(stored["bodies"])
    closes_4012 = sum(code == 4012 for client in [watcher, *clients] for code in client.close_codes)
    print(
        f"\nrolling restart: {len(ok_posts)} posts and {len(ok_votes)} votes ok'd, {len(lost)} lost, "
        f"{len(duplicated)} duplicated; restarts (process, exit code, drain seconds, writes ok'd meanwhile): "
        f"{restarts}; 4012 closes seen by clients: {closes_4012}"
    )
    assert lost == [] and duplicated == []
    assert len(ok_posts) == head  # nothing stored that was not ok'd either
    assert Counter(map(tuple, stored["votes"])) == Counter(ok_votes)
    assert all(code == 0 for _, code, _, _ in restarts)
    assert closes_4012 >= WRITERS  # every writer (spread over both processes) was moved at least once
    for client in [watcher, *clients]:
        try:
            await client.wait_seq(topic, head)
        except TimeoutError:
            raise AssertionError(
                f"head {head}; client at {client.last_seq(topic)}; sockets: "
                f"{[(s.seqs(topic)[:1], s.seqs(topic)[-1:], s.closed.is_set(), s.ws.close_code) for s in client.sockets]}"
                f"; frames of the last: {client.current.frames[-5:]}"
            ) from None
        assert client.seqs(topic) == list(range(1, head + 1))  # no gap, no duplicate, over every reconnect
    await asyncio.gather(*(client.close() for client in [watcher, *clients]))
