"""Co-moderation over real sockets: two daphne processes sharing Redis and the database."""

from __future__ import annotations

import asyncio

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

TEXT = "un texte injurieux"


def hidden(topic: str, message: int):
    return (
        lambda f: f["type"] == "event"
        and f["topic"] == topic
        and f["kind"] == "message.hidden"
        and f["data"]["id"] == message
    )


async def test_three_reports_hide_a_message_everywhere_live_and_removal_redacts_it(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_owner), (_, t_author), *reporters = stack.create_users(5)
    with stack.http(0, t_owner) as http:
        room = http.post("/api/rooms", json={"name": "Quartier", "visibility": "public"}).json()
    topic = room["topic"]
    async with (
        await LiveSocket.open(stack.ws_url(0), t_author) as author,
        await LiveSocket.open(stack.ws_url(0)) as watcher_here,
        await LiveSocket.open(stack.ws_url(1)) as watcher_there,
        await LiveSocket.open(stack.ws_url(0), t_owner) as owner,
    ):
        for socket in (author, watcher_here, watcher_there, owner):
            assert (await socket.subscribe(topic))["type"] == "subscribed"
        posted = await author.request({"type": "post", "topic": topic, "body": TEXT})
        message = posted["data"]["id"]
        await watcher_there.wait_seq(topic, posted["data"]["seq"])

        sockets = [await LiveSocket.open(stack.ws_url(i % 2), token) for i, (_, token) in enumerate(reporters)]
        try:
            # The same person twice counts once; three people at once, on two processes, hide it once.
            twice = [await sockets[0].request({"type": "report", "topic": topic, "item": message, "reason": "insulte"})]
            twice.append(
                await sockets[0].request({"type": "report", "topic": topic, "item": message, "reason": "insulte"})
            )
            assert [r["data"]["counted"] for r in twice] == [True, False]
            assert [r["data"]["hidden"] for r in twice] == [False, False]
            replies = await asyncio.gather(
                *(
                    s.request({"type": "report", "topic": topic, "item": message, "reason": "haine"})
                    for s in sockets[1:]
                )
            )
            assert all(r["type"] == "ok" for r in replies), replies
            assert sorted(r["data"]["hidden"] for r in replies) == [True, True] or any(
                r["data"]["hidden"] for r in replies
            )
        finally:
            for s in sockets:
                await s.close()
        for socket in (author, watcher_here, watcher_there, owner):
            await socket.wait_for(hidden(topic, message))
            assert len([f for f in socket.events(topic, "message.hidden")]) == 1

        # A newcomer replays the room: the text is not there while the vote runs.
        async with await LiveSocket.open(stack.ws_url(1)) as newcomer:
            head = (await newcomer.subscribe(topic, since=0))["seq"]
            await newcomer.wait_seq(topic, head)
            assert TEXT not in str(newcomer.events(topic))
        with stack.http(1) as http:
            items = http.get(f"/api/rooms/{room['id']}/messages").json()["items"]
            assert [(m["body"], m["hidden"]) for m in items] == [("", True)]

        # The owner (the only elector here) votes to remove: every elector voted, the vote closes.
        with stack.http(0, t_owner) as http:
            case = http.get(f"/api/moderation/rooms/{room['id']}/queue").json()["items"][0]
        assert case["text"] == TEXT
        vote = await owner.request({"type": "vote", "topic": case["topic"], "choice": "up"})
        assert vote["type"] == "ok" and "choice" not in vote["data"]  # a secret ballot
        closed = await owner.request({"type": "close", "topic": case["topic"]})
        assert closed["type"] == "error" and closed["code"] == "conflict"  # already closed by the vote
        for socket in (watcher_here, watcher_there):
            await socket.wait_for(lambda f: f["type"] == "event" and f["kind"] == "message.deleted")
        async with await LiveSocket.open(stack.ws_url(1)) as later:
            head = (await later.subscribe(topic, since=0))["seq"]
            await later.wait_seq(topic, head)
            kinds = [f["kind"] for f in later.events(topic)]
            assert kinds == ["message.posted", "message.hidden", "message.deleted"]
            assert TEXT not in str(later.frames)
        with stack.http(0, t_author) as http:
            told = http.get("/api/moderation/mine").json()["items"][0]
            assert told["status"] == "removed" and "insulte" in told["decision"]


async def test_a_banned_user_loses_the_room_live_on_the_other_process(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_owner), (banned_name, t_banned), (_, t_other) = stack.create_users(3)
    with stack.http(0, t_owner) as http:
        room = http.post("/api/rooms", json={"name": "Quartier", "visibility": "public"}).json()
    topic = room["topic"]
    async with (
        await LiveSocket.open(stack.ws_url(0), t_owner) as owner,
        await LiveSocket.open(stack.ws_url(1), t_banned) as banned,
        await LiveSocket.open(stack.ws_url(1), t_other) as other,
    ):
        for socket in (owner, banned, other):
            assert (await socket.subscribe(topic))["type"] == "subscribed"
        debate = f"debate:{room['id']}"
        assert (await banned.subscribe(debate))["type"] == "subscribed"
        muted = await owner.request(
            {"type": "sanction", "topic": topic, "user": banned_name, "kind": "mute", "reason": "calme"}
        )
        assert muted["type"] == "ok", muted
        refused = await banned.request({"type": "post", "topic": topic, "body": "je parle"})
        assert refused["type"] == "error" and refused["code"] == "forbidden"  # muted: reads, may not write
        reply = await owner.request(
            {"type": "sanction", "topic": topic, "user": banned_name, "kind": "ban", "reason": "récidive"}
        )
        assert reply["type"] == "ok" and reply["data"]["changed"] is True
        lost = await banned.wait_for(lambda f: f["type"] == "unsubscribed" and f["topic"] == topic)
        assert lost["code"] == "forbidden" and lost["ref"] is None
        await banned.wait_for(lambda f: f["type"] == "unsubscribed" and f["topic"] == debate)  # follows the room
        posted = await owner.request({"type": "post", "topic": topic, "body": "sans lui"})
        await other.wait_seq(topic, posted["data"]["seq"])
        await banned.request({"type": "ping"})
        assert [e for e in banned.events(topic) if e["seq"] >= posted["data"]["seq"]] == []
        again = await banned.subscribe(topic)
        assert again["type"] == "error" and again["code"] == "forbidden"
        assert not [f for f in other.frames if f["type"] == "unsubscribed"]


async def test_the_last_electors_voting_at_once_on_two_processes_close_the_vote_once(live_stack):
    """Three electors (the owner and two trusted members) vote at the same moment from two
    processes: the vote closes with the last ballot, exactly once, and the item is decided once."""
    stack = live_stack(processes=2, redis=True)
    (_, t_owner), (_, t_author), (reporter, t_reporter), (sure1, t_sure1), (sure2, t_sure2) = stack.create_users(5)
    with stack.http(0, t_owner) as http:
        room = http.post("/api/rooms", json={"name": "Quartier", "visibility": "public"}).json()
        assert (
            http.patch(f"/api/moderation/rooms/{room['id']}/settings", json={"report_threshold": 1}).status_code == 200
        )
        for name in (sure1, sure2):
            assert http.post(f"/api/moderation/rooms/{room['id']}/trusted", json={"user": name}).status_code == 200
    topic = room["topic"]
    async with (
        await LiveSocket.open(stack.ws_url(0), t_author) as author,
        await LiveSocket.open(stack.ws_url(1), t_reporter) as reporting,
        await LiveSocket.open(stack.ws_url(0), t_owner) as owner,
        await LiveSocket.open(stack.ws_url(1), t_sure1) as first,
        await LiveSocket.open(stack.ws_url(0), t_sure2) as second,
        await LiveSocket.open(stack.ws_url(1)) as watcher,
    ):
        assert (await watcher.subscribe(topic))["type"] == "subscribed"
        posted = await author.request({"type": "post", "topic": topic, "body": TEXT})
        reported = await reporting.request(
            {"type": "report", "topic": topic, "item": posted["data"]["id"], "reason": "insulte"}
        )
        assert reported["data"]["hidden"] is True
        with stack.http(1, t_owner) as http:
            case = http.get(f"/api/moderation/rooms/{room['id']}/queue").json()["items"][0]
        electors = (owner, first, second)
        for socket in electors:
            assert (await socket.subscribe(case["topic"]))["type"] == "subscribed"
        replies = await asyncio.gather(
            *(s.request({"type": "vote", "topic": case["topic"], "choice": "up"}) for s in electors)
        )
        assert [r["type"] for r in replies] == ["ok"] * 3, replies
        for socket in electors:
            closed = await socket.wait_for(lambda f: f["type"] == "event" and f["kind"] == "proposal.closed")
            assert closed["data"]["all_voted"] is True and closed["data"]["total"] == 3
        await watcher.wait_for(lambda f: f["type"] == "event" and f["kind"] == "message.deleted")
        late = await first.request({"type": "vote", "topic": case["topic"], "choice": "down"})
        assert late["type"] == "error" and late["code"] == "conflict"
        # Replayed from the start, on the other process: one closing, one deletion.
        async with await LiveSocket.open(stack.ws_url(1), t_owner) as later:
            head = (await later.subscribe(case["topic"], since=0))["seq"]
            await later.wait_seq(case["topic"], head)
            assert [f["kind"] for f in later.events(case["topic"])].count("proposal.closed") == 1
        assert len(watcher.events(topic, "message.deleted")) == 1
        with stack.http(0, t_owner) as http:
            decided = http.get(f"/api/moderation/rooms/{room['id']}/queue?status=removed").json()["items"]
            assert [c["id"] for c in decided] == [case["id"]]
