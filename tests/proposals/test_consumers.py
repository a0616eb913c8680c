"""The `vote` and `amend` commands and the live `tally` state, on the real ASGI app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from proposals.models import Proposal
from proposals.scheduler import proposals_advance
from tests.proposals.conftest import soon

pytestmark = pytest.mark.django_db(transaction=True)


async def run(function, *args, **kwargs):
    return await database_sync_to_async(function)(*args, **kwargs)


def is_tally(frame) -> bool:
    return frame["type"] == "state" and frame["kind"] == "tally"


async def subscribed(socket, topic):
    await socket.send({"type": "subscribe", "topic": topic, "ref": "sub"})
    return await socket.recv_until(lambda f: f["type"] in ("subscribed", "error"))


async def vote(socket, topic, choice, ref, **extra):
    await socket.send({"type": "vote", "topic": topic, "choice": choice, "ref": ref, **extra})
    return await socket.recv_until(lambda f: f["type"] in ("ok", "error") and f.get("ref") == ref)


async def test_subscribe_sends_the_tally_then_votes_move_it_live(connect, make_user, make_proposal):
    author = await run(make_user)
    proposal = await run(make_proposal, author=author)
    watcher = await connect(author)
    assert (await subscribed(watcher, proposal.topic))["seq"] == 1
    first = await watcher.recv_until(is_tally)
    assert first["data"]["counts"] == {"up": 0, "down": 0, "white": 0, "uncomplet": 0}
    assert first["data"]["total"] == 0 and first["data"]["version"] == 1

    voters = [await run(make_user) for _ in range(12)]
    for index, voter in enumerate(voters):
        socket = await connect(voter)
        reply = await vote(socket, proposal.topic, "up" if index % 3 else "down", f"v{index}")
        assert reply["type"] == "ok" and reply["data"]["voted"] is True, reply

    frames = [first]
    while frames[-1]["data"]["total"] < 12:
        frames.append(await watcher.recv_until(is_tally, timeout=5))
    versions = [f["data"]["version"] for f in frames]
    assert versions == sorted(set(versions))  # only grows, never repeats
    last = frames[-1]["data"]
    assert last["counts"] == {"up": 8, "down": 4, "white": 0, "uncomplet": 0}
    assert last["version"] == 13 and last["result"]["result"] == "adopted"
    assert await watcher.nothing(0.6)  # the trailing frame was exact: nothing newer follows


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "vote", "choice": "maybe", "ref": "z"}, "bad_request"),
        ({"type": "vote", "choice": "up"}, "bad_request"),  # no ref
        ({"type": "vote", "choice": 1, "ref": "z"}, "bad_request"),
        ({"type": "vote", "choice": "up", "ref": "z", "topic": "room:1"}, "bad_request"),
        ({"type": "vote", "choice": "up", "ref": "z", "topic": "proposal:999999"}, "not_found"),
        ({"type": "vote", "choice": "up", "ref": "z", "amendment": 999999}, "conflict"),
        ({"type": "amend", "body": "", "ref": "z"}, "bad_request"),
        ({"type": "amend", "body": "trop tard", "ref": "z"}, "conflict"),
    ],
)
async def test_bad_votes_get_their_code_and_move_nothing(connect, make_user, make_proposal, frame, code):
    author = await run(make_user)
    proposal = await run(make_proposal, author=author)
    socket = await connect(author)
    await socket.send({"topic": proposal.topic, **frame})
    error = await socket.recv_until(lambda f: f["type"] == "error")
    assert error["code"] == code, error
    await socket.send({"type": "ping", "ref": "still-there"})
    assert (await socket.recv_until(lambda f: f["type"] == "pong"))["ref"] == "still-there"
    refreshed = await run(Proposal.objects.get, id=proposal.id)
    assert refreshed.total == 0


async def test_anonymous_socket_reads_the_tally_but_cannot_vote(connect, make_user, make_proposal):
    proposal = await run(make_proposal)
    socket = await connect()
    await subscribed(socket, proposal.topic)
    assert (await socket.recv_until(is_tally))["data"]["total"] == 0
    error = await vote(socket, proposal.topic, "up", "anon")
    assert error["code"] == "auth_required"


async def test_change_over_the_socket_follows_can_change(connect, make_user, make_proposal):
    voter = await run(make_user)
    fixed = await run(make_proposal, can_change=False)
    free = await run(make_proposal, can_change=True)
    socket = await connect(voter)
    assert (await vote(socket, fixed.topic, "up", "a1"))["type"] == "ok"
    refused = await vote(socket, fixed.topic, "down", "a2")
    assert refused["type"] == "error" and refused["code"] == "conflict"
    assert (await vote(socket, free.topic, "up", "b1"))["type"] == "ok"
    changed = await vote(socket, free.topic, "down", "b2")
    assert changed["data"]["changed"] is True
    assert (await vote(socket, free.topic, "down", "b2"))["data"] == changed["data"]  # resent ref: same answer
    fixed, free = await run(Proposal.objects.get, id=fixed.id), await run(Proposal.objects.get, id=free.id)
    assert fixed.counts["up"] == 1 and fixed.counts["down"] == 0
    assert free.counts["up"] == 0 and free.counts["down"] == 1 and free.total == 1


async def test_amend_and_vote_on_an_amendment_over_the_socket(connect, make_user, make_proposal):
    author, voter = await run(make_user), await run(make_user)
    proposal = await run(make_proposal, author=author, amendable_until=soon(60), closes_at=soon(3600))
    watcher = await connect(author)
    await subscribed(watcher, proposal.topic)
    assert (await watcher.recv_until(is_tally))["data"]["amendments"] == []
    socket = await connect(voter)
    await socket.send({"type": "amend", "topic": proposal.topic, "body": "Ajouter des arceaux", "ref": "am"})
    ok = await socket.recv_until(lambda f: f["type"] == "ok")
    event = await watcher.recv_until(lambda f: f["type"] == "event")
    assert event["kind"] == "amendment.proposed" and event["data"]["id"] == ok["data"]["id"]
    reply = await vote(socket, proposal.topic, "up", "amv", amendment=ok["data"]["id"])
    assert reply["type"] == "ok" and reply["data"]["amendment"] == ok["data"]["id"]
    state = await watcher.recv_until(
        lambda f: is_tally(f) and f["data"]["amendments"] and f["data"]["amendments"][0]["total"] == 1
    )
    assert state["data"]["amendments"][0]["counts"] == {"up": 1, "down": 0, "white": 0}
    draft_vote = await vote(socket, proposal.topic, "up", "too-early")
    assert draft_vote["code"] == "conflict"


async def test_closing_reaches_subscribers_with_result_and_final_tally(connect, make_user, make_proposal):
    author = await run(make_user)
    proposal = await run(make_proposal, author=author, hide_results=True)
    watcher = await connect(author)
    await subscribed(watcher, proposal.topic)
    assert (await watcher.recv_until(is_tally))["data"]["counts"] is None
    for index in range(3):
        socket = await connect(await run(make_user))
        assert (await vote(socket, proposal.topic, "up" if index else "white", f"c{index}"))["type"] == "ok"
    hidden = await watcher.recv_until(lambda f: is_tally(f) and f["data"]["total"] == 3)
    assert hidden["data"]["counts"] is None and hidden["data"]["result"] is None  # turnout only

    await run(Proposal.objects.filter(id=proposal.id).update, closes_at=timezone.now() - timedelta(seconds=1))
    await run(proposals_advance)
    closed = await watcher.recv_until(lambda f: f["type"] == "event")
    assert closed["kind"] == "proposal.closed" and closed["seq"] == 2
    assert closed["data"]["result"] == "adopted" and closed["data"]["counts"]["up"] == 2
    final = await watcher.recv_until(lambda f: is_tally(f) and f["data"]["final"])
    assert final["data"]["counts"] == {"up": 2, "down": 0, "white": 1, "uncomplet": 0}
    assert final["data"]["phase"] == "resolved"
