"""Reactions are the room's coalesced `reactions` state, not one frame per click: a burst of
clicks on two daphne processes sharing Redis gives each watcher fewer frames than clicks, in
growing versions, the last one exact."""

from __future__ import annotations

import asyncio

import pytest

from discussions.reactions import EMOJI
from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

REACTORS = 12
KEPT = EMOJI[:3]  # each reactor turns every emoji on, then takes the other three back


async def test_a_burst_of_reactions_is_coalesced_and_exact_on_both_processes(live_stack):
    # A one-second coalescing window: the bound below then holds however slowly a loaded machine clicks.
    stack = live_stack(processes=2, redis=True, env={"REALTIME_STATE_INTERVAL": "1"})
    (_, t_poster), *reactors = stack.create_users(1 + REACTORS)
    with stack.http(0, t_poster) as http:
        room = http.post("/api/rooms", json={"name": "Réactions", "visibility": "public"}).json()
        message = http.post(f"/api/rooms/{room['id']}/messages", json={"body": "Fête samedi ?"}).json()
    topic = room["topic"]
    sockets = [await LiveSocket.open(stack.ws_url(i % 2), token) for i, (_, token) in enumerate(reactors)]
    watchers = [await LiveSocket.open(stack.ws_url(i)) for i in (0, 1)]
    try:
        for watcher in watchers:
            await watcher.subscribe(topic)

        async def clicks(socket: LiveSocket) -> list[dict]:
            replies = []
            for emoji, on in [(e, True) for e in EMOJI] + [(e, False) for e in EMOJI if e not in KEPT]:
                replies.append(
                    await socket.request(
                        {"type": "react", "topic": topic, "message": message["id"], "emoji": emoji, "on": on}
                    )
                )
            return replies

        replies = [r for rs in await asyncio.gather(*(clicks(s) for s in sockets)) for r in rs]
        writes = len(replies)
        assert writes == REACTORS * (len(EMOJI) + len(EMOJI) - len(KEPT))
        assert {r["type"] for r in replies} == {"ok"}, [r for r in replies if r["type"] != "ok"][:3]
        expected = {emoji: REACTORS for emoji in KEPT}

        def exact(frame: dict) -> bool:
            return (
                frame["type"] == "state"
                and frame["kind"] == "reactions"
                and frame["data"]["messages"].get(str(message["id"])) == expected
            )

        for watcher in watchers:
            last = await watcher.wait_for(exact, timeout=30)
            assert last["data"]["version"] == writes  # every click changed something, once
            states = [f for f in watcher.frames if f["type"] == "state" and f["kind"] == "reactions"]
            versions = [f["data"]["version"] for f in states]
            assert versions == sorted(set(versions)) and versions[-1] == writes
            assert len(states) < writes / 2, f"{len(states)} frames for {writes} clicks"
            # No sequenced event per click: the room's stream holds the message only.
            assert [f["kind"] for f in watcher.events(topic)] == []
        with stack.http(1) as http:
            history = http.get(f"/api/rooms/{room['id']}/messages").json()["items"]
        assert history[-1]["reactions"] == expected
        # A late subscriber gets the current state on subscribe.
        async with await LiveSocket.open(stack.ws_url(1)) as late:
            await late.subscribe(topic)
            assert (await late.wait_for(exact, timeout=10))["data"]["version"] == writes
        print(
            f"\n{writes} reaction clicks from {REACTORS} sockets on 2 processes: "
            f"{[len([f for f in w.frames if f['type'] == 'state' and f['kind'] == 'reactions']) for w in watchers]}"
            " `reactions` frames per watcher, the last exact"
        )
    finally:
        await asyncio.gather(*(s.close() for s in sockets + watchers))
