"""Actions over the socket: a write on the proposal's topic reaches the room's watchers live."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

pytestmark = pytest.mark.django_db(transaction=True)


async def request(socket, frame):
    await socket.send(frame)
    return await socket.recv_until(
        lambda f: f["type"] in ("ok", "error", "subscribed") and f.get("ref") == frame.get("ref")
    )


async def test_an_action_made_on_the_socket_reaches_the_room_and_commune_live(connect, make_user, decided):
    author = await database_sync_to_async(make_user)("marie")
    proposal = await database_sync_to_async(decided)(author=author)
    room_topic = f"room:{proposal.room_id}"
    writer, room_watcher, commune_watcher = await connect(author), await connect(), await connect()
    for socket, topic in ((room_watcher, room_topic), (commune_watcher, "commune:97411")):
        assert (await request(socket, {"type": "subscribe", "topic": topic, "ref": "s"}))["type"] == "subscribed"

    stated = await request(writer, {"type": "outcome_state", "topic": proposal.topic, "statement": "Oui", "ref": "o"})
    assert stated["type"] == "ok" and stated["data"]["statement"] == "Oui"
    made = await request(
        writer, {"type": "action_create", "topic": proposal.topic, "title": "Semer", "assignees": ["marie"], "ref": "a"}
    )
    assert made["type"] == "ok", made
    for socket in (room_watcher, commune_watcher):
        event = await socket.recv_until(lambda f: f["type"] == "event" and f["kind"] == "action.created")
        assert event["data"] == made["data"]
    moved = await request(
        writer,
        {"type": "action_update", "topic": proposal.topic, "action": made["data"]["id"], "status": "done", "ref": "u"},
    )
    assert moved["data"]["status"] == "done"
    event = await room_watcher.recv_until(lambda f: f["type"] == "event" and f["kind"] == "action.updated")
    assert event["data"]["status"] == "done" and event["data"]["version"] == 2

    wrong_topic = await request(
        writer,
        {
            "type": "action_update",
            "topic": room_topic,
            "action": made["data"]["id"],
            "status": "todo",
            "ref": "w",
        },
    )
    assert wrong_topic["type"] == "error" and wrong_topic["code"] == "bad_request"
    anonymous = await request(
        room_watcher, {"type": "action_volunteer", "topic": proposal.topic, "action": 1, "ref": "x"}
    )
    assert anonymous["code"] == "auth_required"
