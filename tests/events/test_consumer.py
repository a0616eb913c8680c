"""The event topic over the real ASGI app (WebsocketCommunicator): rsvp and checkin commands, attendance frames."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from events.inputs import EventPatch
from events.models import Rsvp

pytestmark = pytest.mark.django_db(transaction=True)


def _is_state(frame: dict) -> bool:
    return frame["type"] == "state" and frame["kind"] == "attendance"


async def _subscribe(socket, topic: str) -> dict:
    await socket.send({"type": "subscribe", "topic": topic, "ref": "s"})
    reply = await socket.recv_until(lambda f: f.get("ref") == "s")
    assert reply["type"] == "subscribed", reply
    return reply


async def _reply(socket, frame: dict) -> dict:
    await socket.send(frame)
    return await socket.recv_until(lambda f: f.get("ref") == frame["ref"] and f["type"] in ("ok", "error"))


async def test_subscribe_sends_the_attendance_state(connect, make_user, make_event):
    event = await database_sync_to_async(make_event)(capacity=3)
    socket = await connect(None)
    await _subscribe(socket, event.topic)
    state = await socket.recv_until(_is_state)
    assert state["topic"] == event.topic
    assert state["data"] == {
        "going": 0,
        "waitlisted": 0,
        "interested": 0,
        "checked_in": 0,
        "capacity": 3,
        "seats_left": 3,
        "status": "scheduled",
        "version": 0,
    }


async def test_rsvp_over_the_socket_moves_the_seats_another_socket_watches(connect, make_user, make_event):
    event = await database_sync_to_async(make_event)(capacity=1)
    alice, bob = await database_sync_to_async(make_user)(), await database_sync_to_async(make_user)()
    watcher, alice_socket, bob_socket = await connect(None), await connect(alice), await connect(bob)
    await _subscribe(watcher, event.topic)
    await watcher.recv_until(_is_state)

    ok = await _reply(alice_socket, {"type": "rsvp", "topic": event.topic, "status": "going", "ref": "a1"})
    assert ok["type"] == "ok" and ok["data"]["status"] == "going"
    state = await watcher.recv_until(lambda f: _is_state(f) and f["data"]["going"] == 1)
    assert state["data"]["seats_left"] == 0

    ok = await _reply(bob_socket, {"type": "rsvp", "topic": event.topic, "status": "going", "ref": "b1"})
    assert ok["data"]["status"] == "waitlisted" and ok["data"]["waitlist_position"] == 1
    await watcher.recv_until(lambda f: _is_state(f) and f["data"]["waitlisted"] == 1)


async def test_the_promoted_person_is_told_on_their_socket(connect, make_user, make_event):
    event = await database_sync_to_async(make_event)(capacity=1)
    alice, bob = await database_sync_to_async(make_user)(), await database_sync_to_async(make_user)()
    alice_socket, bob_socket = await connect(alice), await connect(bob)
    await _subscribe(bob_socket, event.topic)
    await _reply(alice_socket, {"type": "rsvp", "topic": event.topic, "status": "going", "ref": "a1"})
    bob_rsvp = (await _reply(bob_socket, {"type": "rsvp", "topic": event.topic, "status": "going", "ref": "b1"}))[
        "data"
    ]["rsvp"]

    await _reply(alice_socket, {"type": "rsvp", "topic": event.topic, "status": "declined", "ref": "a2"})
    promoted = await bob_socket.recv_until(lambda f: f["type"] == "event" and f["kind"] == "rsvp.promoted")
    assert promoted["topic"] == event.topic and promoted["data"]["rsvp"] == bob_rsvp
    assert promoted["seq"] == 1
    final = await bob_socket.recv_until(
        lambda f: _is_state(f) and f["data"]["going"] == 1 and f["data"]["waitlisted"] == 0
    )
    assert final["data"]["seats_left"] == 0


async def test_checkin_over_the_socket(connect, make_user, make_event):
    event = await database_sync_to_async(make_event)(capacity=5)
    organiser = event.created_by
    organiser.token = await database_sync_to_async(_token)(organiser)
    guest = await database_sync_to_async(make_user)()
    guest_socket, door = await connect(guest), await connect(organiser)
    await _reply(guest_socket, {"type": "rsvp", "topic": event.topic, "status": "going", "ref": "g"})
    code = await database_sync_to_async(lambda: Rsvp.objects.get(user=guest).code)()
    await _subscribe(door, event.topic)

    ok = await _reply(door, {"type": "checkin", "topic": event.topic, "code": code, "ref": "c1"})
    assert ok["type"] == "ok" and ok["data"]["user"] == guest.username
    await door.recv_until(lambda f: _is_state(f) and f["data"]["checked_in"] == 1)
    again = await _reply(door, {"type": "checkin", "topic": event.topic, "code": code, "ref": "c2"})
    assert again["type"] == "error" and again["code"] == "conflict" and "already checked in" in again["message"]
    # The same ref resent (a retry after a lost reply) answers the first result again.
    replay = await _reply(door, {"type": "checkin", "topic": event.topic, "code": code, "ref": "c1"})
    assert replay["type"] == "ok" and replay["data"] == ok["data"]
    undo = await _reply(door, {"type": "checkin", "topic": event.topic, "code": code, "undo": True, "ref": "c3"})
    assert undo["type"] == "ok" and undo["data"]["checked_in"] is False
    await door.recv_until(lambda f: _is_state(f) and f["data"]["checked_in"] == 0)
    refused = await _reply(guest_socket, {"type": "checkin", "topic": event.topic, "code": code, "ref": "g2"})
    assert refused["code"] == "forbidden"


def _token(user) -> str:
    from accounts.services import token_issue

    return token_issue(user=user)


async def test_bad_commands_get_clear_errors(connect, make_user, make_event):
    event = await database_sync_to_async(make_event)(capacity=5)
    user = await database_sync_to_async(make_user)()
    socket, anonymous = await connect(user), await connect(None)
    bad_status = await _reply(socket, {"type": "rsvp", "topic": event.topic, "status": "maybe", "ref": "x1"})
    assert bad_status["code"] == "bad_request" and "status" in bad_status["message"]
    no_ref = await socket.send({"type": "rsvp", "topic": event.topic, "status": "going"})
    error = await socket.recv_until(lambda f: f["type"] == "error")
    assert error["code"] == "bad_request" and "ref" in error["message"]
    wrong_topic = await _reply(socket, {"type": "rsvp", "topic": "room:1", "status": "going", "ref": "x2"})
    assert wrong_topic["code"] == "bad_request"
    missing = await _reply(socket, {"type": "rsvp", "topic": "event:999999", "status": "going", "ref": "x3"})
    assert missing["code"] == "not_found"
    anon = await _reply(anonymous, {"type": "rsvp", "topic": event.topic, "status": "going", "ref": "x4"})
    assert anon["code"] == "auth_required"
    assert no_ref is None
    assert await database_sync_to_async(Rsvp.objects.count)() == 0


async def test_invite_only_topics_are_hidden_from_outsiders(connect, make_user, make_event):
    event = await database_sync_to_async(make_event)(invite_only=True)
    outsider = await database_sync_to_async(make_user)()
    for socket in (await connect(outsider), await connect(None)):
        await socket.send({"type": "subscribe", "topic": event.topic, "ref": "s"})
        reply = await socket.recv_until(lambda f: f.get("ref") == "s")
        assert reply["type"] == "error" and reply["code"] == "not_found"


async def test_updates_and_cancellation_are_sequenced_events(connect, make_user, make_event):
    from events import services

    event = await database_sync_to_async(make_event)(capacity=5)
    socket = await connect(None)
    await _subscribe(socket, event.topic)
    await database_sync_to_async(services.event_update)(
        by=event.created_by, event_id=event.id, changes=EventPatch(capacity=8)
    )
    await database_sync_to_async(services.event_cancel)(by=event.created_by, event_id=event.id, reason="Pluie")
    updated = await socket.recv_until(lambda f: f["type"] == "event" and f["kind"] == "event.updated")
    cancelled = await socket.recv_until(lambda f: f["type"] == "event" and f["kind"] == "event.cancelled")
    assert (updated["seq"], updated["data"]["changed"]) == (1, {"capacity": 8})
    assert (cancelled["seq"], cancelled["data"]["reason"]) == (2, "Pluie")
    await socket.recv_until(
        lambda f: _is_state(f) and f["data"]["status"] == "cancelled" and f["data"]["capacity"] == 8
    )
