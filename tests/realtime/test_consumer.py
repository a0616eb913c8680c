"""The one consumer, command by command and error code by error code, on the real ASGI app."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async

from discussions.models import Message
from discussions.services import message_post
from tests.communicator import Communicator

pytestmark = pytest.mark.django_db(transaction=True)


async def run(function, *args, **kwargs):
    """Factories and services touch the database: run them in a thread, as the consumer does."""
    return await database_sync_to_async(function)(*args, **kwargs)


def is_event(frame):
    return frame["type"] == "event"


async def subscribed(socket, topic, **extra):
    await socket.send({"type": "subscribe", "topic": topic, "ref": "sub", **extra})
    return await socket.recv_until(lambda f: f["type"] in ("subscribed", "error"))


async def message_count():
    return await run(Message.objects.count)


async def test_ping_pong(connect):
    socket = await connect()
    await socket.send({"type": "ping", "ref": "p"})
    pong = await socket.recv()
    assert (pong["type"], pong["ref"]) == ("pong", "p")
    # The server clock (Unix ms), which clients use to correct their own.
    assert isinstance(pong["now"], int) and abs(pong["now"] - time.time() * 1000) < 60_000


async def test_post_reaches_every_subscriber_once_with_ok(connect, make_user, make_room):
    alice, bob = await run(make_user, "alice"), await run(make_user, "bob")
    room = await run(make_room, alice)
    a, b = await connect(alice), await connect(bob)
    assert (await subscribed(a, room.topic))["seq"] == 0
    assert (await subscribed(b, room.topic))["seq"] == 0
    await a.send({"type": "post", "topic": room.topic, "body": "Bonjour", "ref": "r1"})
    ok = await a.recv_until(lambda f: f["type"] == "ok")
    assert ok["ref"] == "r1" and ok["data"]["seq"] == 1
    event = await b.recv_until(is_event)
    assert event["seq"] == 1 and event["kind"] == "message.posted"
    assert event["data"]["body"] == "Bonjour" and event["data"]["author"] == "alice"
    assert event["data"]["id"] == ok["data"]["id"]
    assert not [f for f in await drain(b) if is_event(f)]  # exactly once
    assert await message_count() == 1


async def test_reply_edit_delete_and_permissions(connect, make_user, make_room):
    alice, bob = await run(make_user, "alice"), await run(make_user, "bob")
    room = await run(make_room, alice)
    first = await run(message_post, author=bob, room_id=room.id, body="question ?")
    a = await connect(alice)
    await subscribed(a, room.topic)
    await a.send({"type": "post", "topic": room.topic, "body": "réponse", "reply_to": first["id"], "ref": "r"})
    reply = await a.recv_until(is_event)
    assert reply["data"]["reply_to"] == first["id"]
    # Alice (owner, a moderator) may not edit Bob's message, but may delete it.
    await a.send({"type": "edit", "topic": room.topic, "message": first["id"], "body": "x", "ref": "e"})
    assert (await a.recv_until(lambda f: f["type"] == "error"))["code"] == "forbidden"
    await a.send({"type": "delete", "topic": room.topic, "message": first["id"], "ref": "d"})
    deleted = await a.recv_until(is_event)
    assert deleted["kind"] == "message.deleted" and deleted["data"]["id"] == first["id"]
    b = await connect(bob)
    await subscribed(b, room.topic)
    await b.send({"type": "edit", "topic": room.topic, "message": reply["data"]["id"], "body": "y", "ref": "e2"})
    assert (await b.recv_until(lambda f: f["type"] == "error"))["code"] == "forbidden"
    await a.send(
        {"type": "edit", "topic": room.topic, "message": reply["data"]["id"], "body": "réponse (édité)", "ref": "e3"}
    )
    edited = await b.recv_until(is_event)
    assert edited["kind"] == "message.edited" and edited["data"]["body"] == "réponse (édité)"


async def test_subscribe_since_replays_then_goes_live_without_gap(connect, make_user, make_room):
    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    for i in range(5):
        await run(message_post, author=alice, room_id=room.id, body=f"m{i}")
    socket = await connect(alice)
    reply = await subscribed(socket, room.topic, since=2)
    assert reply["seq"] == 5 and "reset" not in reply
    replayed = [(await socket.recv_until(is_event))["seq"] for _ in range(3)]
    assert replayed == [3, 4, 5]
    await socket.send({"type": "post", "topic": room.topic, "body": "live", "ref": "x"})
    assert (await socket.recv_until(is_event))["seq"] == 6


async def test_since_older_than_replay_window_answers_reset(connect, make_user, make_room, settings):
    settings.REALTIME_REPLAY_LIMIT = 3
    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    for i in range(6):
        await run(message_post, author=alice, room_id=room.id, body=f"m{i}")
    socket = await connect(alice)
    reply = await subscribed(socket, room.topic, since=1)
    assert reply["reset"] is True and reply["seq"] == 6
    # Nothing is replayed; the client reloads history over HTTP.
    assert not [f for f in await drain(socket) if is_event(f)]


@pytest.mark.parametrize(
    ("frame", "code", "reason"),
    [
        ("{not json", "bad_request", None),
        ("[1, 2]", "bad_request", None),
        ({"type": "shout", "ref": "z"}, "bad_request", None),
        ({"type": "subscribe", "topic": 12, "ref": "z"}, "bad_request", None),
        ({"type": "subscribe", "topic": "room:abc", "ref": "z"}, "bad_request", None),
        ({"type": "subscribe", "topic": "room:99999", "ref": "z"}, "not_found", "room 99999"),
        ({"type": "subscribe", "topic": "planet:1", "ref": "z"}, "not_found", "unknown topic kind"),
        ({"type": "subscribe", "topic": "room:1", "since": "yesterday", "ref": "z"}, "bad_request", None),
        ({"type": "post", "topic": "room:1", "body": 42, "ref": "z"}, "bad_request", None),
        ({"type": "post", "topic": "room:1", "body": "sans ref"}, "bad_request", None),
        ({"type": "post", "topic": "room:1", "body": "", "ref": "z"}, "bad_request", None),
        ({"type": "post", "topic": "room:1", "body": "x" * 4001, "ref": "z"}, "bad_request", None),
        ({"type": "post", "topic": "room:1", "body": "x", "ref": "r" * 65}, "bad_request", None),
        (
            {"type": "post", "topic": "room:1", "body": "x", "reply_to": 999999, "ref": "z"},
            "not_found",
            "message 999999",
        ),
        (
            {"type": "edit", "topic": "room:1", "message": 999999, "body": "x", "ref": "z"},
            "not_found",
            "message 999999",
        ),
        ({"type": "unsubscribe", "topic": "room:1", "ref": "z"}, "bad_request", None),
    ],
)
async def test_bad_input_gets_its_code_keeps_the_socket_and_writes_nothing(
    connect, make_user, make_room, frame, code, reason
):
    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    if isinstance(frame, dict) and frame.get("topic") == "room:1":
        # "room:1" stands for a room that exists: ids need not start at 1 (PostgreSQL sequences).
        frame = {**frame, "topic": f"room:{room.id}"}
    socket = await connect(alice)
    await socket.send(frame)
    error = await socket.recv()
    assert error["type"] == "error" and error["code"] == code, error
    assert error["message"]
    if reason is not None:
        # The code alone could come from another check (a missing room, say): the reason must match.
        assert reason in error["message"], error
    await socket.send({"type": "ping", "ref": "still-there"})
    assert (await socket.recv())["type"] == "pong"
    assert await message_count() == 0


async def test_oversize_frame_is_refused_and_closes_4009(connect, make_user):
    socket = await connect(await run(make_user))
    await socket.send({"type": "ping", "pad": "x" * (64 * 1024)})
    assert (await socket.recv())["code"] == "too_large"
    closed = await socket.communicator.receive_output(2)
    assert closed == {"type": "websocket.close", "code": 4009}


async def test_private_room_is_invisible_to_outsiders(connect, make_user, make_room):
    alice, mallory = await run(make_user, "alice"), await run(make_user, "mallory")
    room = await run(make_room, alice, visibility="private")
    socket = await connect(mallory)
    # Answered like a room that does not exist, read or write, so private ids cannot be listed.
    assert (await subscribed(socket, room.topic))["code"] == "not_found"
    await socket.send({"type": "post", "topic": room.topic, "body": "intrusion", "ref": "m"})
    assert (await socket.recv())["code"] == "not_found"
    assert await message_count() == 0


async def test_anonymous_reads_public_rooms_but_cannot_write(connect, make_user, make_room):
    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    socket = await connect(None)
    assert (await subscribed(socket, room.topic))["type"] == "subscribed"
    await socket.send({"type": "post", "topic": room.topic, "body": "anonyme", "ref": "a"})
    assert (await socket.recv())["code"] == "auth_required"
    await socket.send({"type": "typing", "topic": room.topic})
    assert (await socket.recv())["code"] == "auth_required"
    assert await message_count() == 0


async def test_same_ref_three_times_on_two_sockets_makes_one_message(connect, make_user, make_room):
    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    a1, a2 = await connect(alice), await connect(alice)
    replies = []
    for socket in (a1, a2, a1):
        await socket.send({"type": "post", "topic": room.topic, "body": "une seule fois", "ref": "same"})
        replies.append(await socket.recv_until(lambda f: f["type"] == "ok"))
    assert replies[0] == replies[1] == replies[2]
    assert await message_count() == 1


async def test_typing_reaches_others_only_and_is_throttled(connect, make_user, make_room):
    alice, bob = await run(make_user, "alice"), await run(make_user, "bob")
    room = await run(make_room, alice)
    a, b = await connect(alice), await connect(bob)
    await subscribed(a, room.topic)
    await subscribed(b, room.topic)
    await a.send({"type": "typing", "topic": room.topic})
    typing = await b.recv_until(lambda f: f["type"] == "typing")
    assert typing == {"type": "typing", "topic": room.topic, "user": "alice"}
    await a.send({"type": "typing", "topic": room.topic})  # within TYPING_INTERVAL: dropped
    await a.send({"type": "ping", "ref": "sync"})
    await a.recv_until(lambda f: f["type"] == "pong")
    frames = []
    while not await b.nothing(0.3):
        frames.append(await b.recv())
    assert not [f for f in frames if f["type"] == "typing"]
    assert not [f for f in await drain(a) if f["type"] == "typing"]


async def drain(socket):
    frames = []
    while not await socket.nothing(0.2):
        frames.append(await socket.recv())
    return frames


async def test_presence_lists_who_is_online(connect, make_user, make_room):
    alice, bob = await run(make_user, "alice"), await run(make_user, "bob")
    room = await run(make_room, alice)
    a, b = await connect(alice), await connect(bob)
    await subscribed(a, room.topic)
    await subscribed(b, room.topic)
    both = await a.recv_until(lambda f: f["type"] == "state" and f["data"]["count"] == 2)
    assert both["kind"] == "presence" and both["data"]["users"] == ["alice", "bob"]
    await b.close()
    alone = await a.recv_until(lambda f: f["type"] == "state" and f["data"]["count"] == 1)
    assert alone["data"]["users"] == ["alice"] and alone["data"]["version"] > both["data"]["version"]


async def test_rate_limit_answers_retry_after(connect, make_user, make_room, settings):
    alice = await run(make_user, "alice")
    room = await run(make_room, alice)  # a write too: made before the limit is lowered
    settings.RATE_LIMIT_BURST = 2
    settings.RATE_LIMIT_PER_SECOND = 0.5
    socket = await connect(alice)
    codes = []
    for i in range(3):
        await socket.send({"type": "post", "topic": room.topic, "body": f"m{i}", "ref": f"r{i}"})
        codes.append(await socket.recv_until(lambda f: f["type"] in ("ok", "error")))
    assert [f["type"] for f in codes[:2]] == ["ok", "ok"]
    assert codes[2]["code"] == "rate_limited" and 0 < codes[2]["retry_after"] <= 2
    assert await message_count() == 2


async def test_foreign_origin_and_bad_token_are_refused(make_user, db):
    from config.routing import application

    alice = await run(make_user, "alice")
    foreign = Communicator(
        application, "/ws/", headers=[(b"origin", b"https://evil.example"), (b"host", b"127.0.0.1:8000")]
    )
    connected, _ = await foreign.connect()
    assert not connected
    same = Communicator(
        application,
        "/ws/",
        headers=[
            (b"origin", b"http://127.0.0.1:8000"),
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {alice.token}".encode()),
        ],
    )
    connected, _ = await same.connect()
    assert connected
    await same.disconnect()
    bad = Communicator(application, "/ws/", headers=[(b"authorization", b"Bearer not-a-token")])
    connected, _ = await bad.connect()
    assert not connected


async def test_browser_session_cookie_authenticates_the_socket(make_user, make_room):
    from django.conf import settings as django_settings
    from django.test import Client

    from config.routing import application

    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    client = Client()
    await run(client.force_login, alice)
    cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    communicator = Communicator(
        application,
        "/ws/",
        headers=[(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")],
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "subscribe", "topic": room.topic, "ref": "s"})
    assert (await communicator.receive_json_from())["type"] == "subscribed"
    await communicator.send_json_to({"type": "post", "topic": room.topic, "body": "depuis le navigateur", "ref": "b"})
    frames = [await communicator.receive_json_from() for _ in range(3)]
    ok = next(f for f in frames if f["type"] == "ok")
    assert ok["data"]["seq"] == 1
    await communicator.disconnect()


async def test_token_in_subprotocols_authenticates_a_browser_socket(make_user, make_room):
    from config.routing import application

    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    communicator = Communicator(application, "/ws/", subprotocols=["bearer", alice.token])
    connected, subprotocol = await communicator.connect()
    assert connected and subprotocol == "bearer"
    await communicator.send_json_to({"type": "post", "topic": room.topic, "body": "jeton", "ref": "t"})
    assert (await communicator.receive_json_from())["type"] == "ok"
    await communicator.disconnect()


async def test_a_ref_reused_for_another_command_is_a_conflict(connect, make_user, make_room):
    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    socket = await connect(alice)
    await socket.send({"type": "post", "topic": room.topic, "body": "premier", "ref": "r"})
    posted = await socket.recv_until(lambda f: f["type"] == "ok")
    await socket.send({"type": "delete", "topic": room.topic, "message": posted["data"]["id"], "ref": "r"})
    error = await socket.recv_until(lambda f: f["type"] == "error")
    assert error["code"] == "conflict" and error["ref"] == "r"
    assert await run(Message.objects.filter(deleted_at__isnull=True).count) == 1


async def test_an_unexpected_failure_answers_internal_and_the_socket_lives_on(
    connect, make_user, make_room, monkeypatch
):
    from discussions import services

    def broken(**kwargs):
        raise ZeroDivisionError("a bug")

    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    monkeypatch.setattr(services, "message_post", broken)
    socket = await connect(alice)
    await socket.send({"type": "post", "topic": room.topic, "body": "x", "ref": "boom"})
    error = await socket.recv()
    assert error == {"type": "error", "ref": "boom", "code": "internal", "message": "internal error"}
    await socket.send({"type": "ping", "ref": "alive"})
    assert (await socket.recv())["type"] == "pong"


async def test_a_crowded_room_names_a_hundred_and_counts_everyone(connect, make_user, make_room):
    from realtime.fanout import PRESENCE_LIST_MAX

    owner = await run(make_user, "owner")
    room = await run(make_room, owner)
    crowd = [await run(make_user, f"u{i:03d}") for i in range(PRESENCE_LIST_MAX + 5)]
    sockets = [await connect(user) for user in crowd]
    for socket in sockets:
        await subscribed(socket, room.topic)
    full = await sockets[0].recv_until(lambda f: f["type"] == "state" and f["data"]["count"] == len(crowd), timeout=10)
    assert full["data"]["truncated"] is True
    assert full["data"]["users"] == sorted(u.username for u in crowd)[:PRESENCE_LIST_MAX]


async def test_a_flood_is_refused_before_it_reaches_the_database(connect, make_user, make_room, settings, monkeypatch):
    from discussions import commands

    alice = await run(make_user, "alice")
    room = await run(make_room, alice)
    settings.RATE_LIMIT_BURST = 1
    settings.RATE_LIMIT_PER_SECOND = 0.01
    socket = await connect(alice)
    handled = []
    post = commands.COMMANDS["post"][1]
    monkeypatch.setitem(commands.COMMANDS, "post", (commands.Post, lambda **kw: handled.append(1) or post(**kw)))
    from realtime.registry import write_commands

    write_commands.cache_clear()
    try:
        replies = []
        for i in range(4):
            await socket.send({"type": "post", "topic": room.topic, "body": f"m{i}", "ref": f"f{i}"})
            replies.append(await socket.recv_until(lambda f: f["type"] in ("ok", "error")))
    finally:
        write_commands.cache_clear()
    assert [r["type"] for r in replies] == ["ok", "error", "error", "error"]
    assert {r.get("code") for r in replies[1:]} == {"rate_limited"}
    # The first write took the only token; the next three never left the event loop.
    assert handled == [1] and await message_count() == 1


async def test_a_room_turning_private_during_a_subscribe_is_checked_again(connect, make_user, make_room, monkeypatch):
    """The room turns private after a subscribe's access check and before the hub holds the new
    subscription (so the hub's own re-check cannot reach it): the subscribe checks again and is
    refused, and the socket gets none of the room's events."""
    from realtime import consumers, fanout
    from realtime.fanout.items import AccessChanged

    alice, bob = await run(make_user, "alice"), await run(make_user, "bob")
    room = await run(make_room, alice)
    checks = []
    check = consumers.LiveConsumer.authorize_read

    async def check_then_lose(self, topic):
        await check(self, topic)
        checks.append(topic)
        if len(checks) == 1:  # allowed; now the owner turns the room private
            room.visibility = "private"
            await run(room.save, update_fields=["visibility"])
            fanout.process_hub().submit(AccessChanged(room.topic))

    monkeypatch.setattr(consumers.LiveConsumer, "authorize_read", check_then_lose)
    b = await connect(bob)
    refused = await subscribed(b, room.topic)
    assert refused["type"] == "error" and refused["code"] in ("forbidden", "not_found"), refused
    assert checks == [room.topic]  # the second check refused it
    await run(message_post, author=alice, room_id=room.id, body="entre nous")
    assert not [f for f in await drain(b) if is_event(f)]
