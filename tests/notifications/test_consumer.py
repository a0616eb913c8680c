"""The personal topic and the new commands over the socket (real ASGI app, in-memory transport)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from discussions.models import Membership, Reaction
from discussions.services import message_post
from notifications.services import deliveries_run

pytestmark = pytest.mark.django_db(transaction=True)


async def run(function, *args, **kwargs):
    return await database_sync_to_async(function)(*args, **kwargs)


async def request(socket, frame: dict) -> dict:
    await socket.send(frame)
    return await socket.recv_until(lambda f: f.get("ref") == frame["ref"] and f["type"] != "event")


async def test_a_personal_topic_is_its_owners_only(connect, make_user):
    alice, bob = await run(make_user, "alice"), await run(make_user, "bob")
    anonymous, as_bob = await connect(), await connect(bob)
    assert (await request(as_bob, {"type": "subscribe", "topic": f"user:{alice.pk}", "ref": "s"}))[
        "code"
    ] == "forbidden"
    refused = await request(anonymous, {"type": "subscribe", "topic": f"user:{alice.pk}", "ref": "s"})
    assert refused["code"] == "auth_required"
    read = {"type": "notification_read", "topic": f"user:{alice.pk}", "ref": "r"}
    assert (await request(as_bob, read))["code"] == "forbidden"


async def test_invitation_answered_on_the_personal_topic_then_react_and_read_in_the_room(
    connect, make_user, make_room, settings
):
    owner, friend = await run(make_user, "owner"), await run(make_user, "friend")
    room = await run(make_room, owner, visibility="private")
    as_owner, as_friend = await connect(owner), await connect(friend)
    mine = f"user:{friend.pk}"
    subscribed = await request(as_friend, {"type": "subscribe", "topic": mine, "ref": "s"})
    assert subscribed["seq"] == 0
    state = await as_friend.recv_until(lambda f: f["type"] == "state")
    assert state["kind"] == "unread" and state["data"]["unread"] == 0

    unknown = await request(as_owner, {"type": "invite", "topic": room.topic, "username": "nobody", "ref": "i0"})
    assert unknown["type"] == "error" and unknown["code"] == "not_found"
    invited = await request(as_owner, {"type": "invite", "topic": room.topic, "username": "friend", "ref": "i1"})
    assert invited["type"] == "ok"
    await run(deliveries_run)
    created = await as_friend.recv_until(lambda f: f["type"] == "event" and f["topic"] == mine)
    assert created["kind"] == "notification.created" and created["data"]["kind"] == "room_invitation"
    unread = await as_friend.recv_until(lambda f: f["type"] == "state")
    assert unread["data"]["unread"] == 1

    answer = {"type": "invitation_answer", "topic": mine, "invitation": created["data"]["data"]["invitation"]}
    accepted = await request(as_friend, {**answer, "accept": True, "ref": "a1"})
    assert accepted["type"] == "ok" and accepted["data"]["status"] == "accepted"
    assert await run(Membership.objects.filter(room=room, user=friend).exists)

    message = await run(message_post, author=owner, room_id=room.id, body="bienvenue !")
    outside = {"type": "react", "topic": room.topic, "message": message["id"], "emoji": "💩", "ref": "x1"}
    assert (await request(as_friend, outside))["code"] == "bad_request"
    react = {"type": "react", "topic": room.topic, "message": message["id"], "emoji": "🎉", "ref": "x2"}
    assert (await request(as_friend, react))["data"]["count"] == 1
    assert await run(Reaction.objects.count) == 1
    marker = await request(as_friend, {"type": "read", "topic": room.topic, "seq": message["seq"], "ref": "m1"})
    assert marker["data"]["read_seq"] == message["seq"]
    done = await request(as_friend, {"type": "notification_read", "topic": mine, "ref": "n1"})
    assert done["type"] == "ok" and len(done["data"]["read"]) == 1
