"""Edited, deleted and erased text is gone from every store and every frame (SECURITY.md, "Deletion").

Two real daphne processes sharing Redis and the database. Secrets are written, then edited,
deleted or their author's account erased; then every table of the database (and the SQLite
file itself), every Redis key and the replay of every topic on both processes are searched.
The erased account had reacted, read, invited, been invited, been notified and named in
others' notifications: all of it is gone or anonymous afterwards.
"""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

DUMP_EVERY_ROW = """
from django.apps import apps
rows = []
for model in apps.get_models():
    for row in model.objects.all().values():
        rows.append(model._meta.label + " " + repr(row))
print(json.dumps(rows))
"""


def database_dump(stack) -> str:
    return "\n".join(stack.run_python(DUMP_EVERY_ROW))


def redis_dump(stack) -> str:
    client = redis.Redis(port=stack.redis_port, decode_responses=True)
    parts = []
    for key in client.scan_iter("*"):
        kind = client.type(key)
        value = {
            "string": lambda k: client.get(k),
            "hash": lambda k: client.hgetall(k),
            "list": lambda k: client.lrange(k, 0, -1),
            "set": lambda k: client.smembers(k),
            "zset": lambda k: client.zrange(k, 0, -1),
            "stream": lambda k: client.xrange(k),
        }.get(kind, lambda k: "")(key)
        parts.append(f"{key} {value!r}")
    return "\n".join(parts)


def sqlite_file_bytes(stack) -> bytes:
    path = stack.env.get("SQLITE_PATH")
    if not path or "DATABASE_URL" in stack.env:
        return b""
    data = b""
    for suffix in ("", "-journal", "-wal"):
        try:
            with open(path + suffix, "rb") as file:
                data += file.read()
        except FileNotFoundError:
            pass
    return data


async def replayed_text(stack, topics: list[str], index: int) -> str:
    async with await LiveSocket.open(stack.ws_url(index)) as anonymous:
        for topic in topics:
            reply = await anonymous.subscribe(topic, since=0)
            if reply["seq"]:
                await anonymous.wait_seq(topic, reply["seq"])
        return repr(anonymous.frames)


def room_create(stack, token: str) -> tuple[int, str]:
    with stack.http(0, token) as http:
        response = http.post("/api/rooms", json={"name": "Place publique", "visibility": "public"})
        assert response.status_code == 201, response.text
        return response.json()["id"], response.json()["topic"]


async def test_edited_deleted_and_erased_text_is_in_no_store_and_no_frame(live_stack):
    stack = live_stack(processes=2, redis=True)
    (alice, t_alice), (bob, t_bob) = stack.create_users(2)
    room_id, topic = room_create(stack, t_alice)
    tag = uuid.uuid4().hex[:8]
    edited_secret, deleted_secret, erased_text = f"AVANT-EDITION-{tag}", f"A-SUPPRIMER-{tag}", f"message de carol {tag}"
    carol_name, carol_password = f"carol{tag}", "un-mot-de-passe-long"
    with stack.http(1) as http:
        registered = http.post("/api/auth/register", json={"username": carol_name, "password": carol_password})
        assert registered.status_code == 201, registered.text
        t_carol = registered.json()["token"]
        profile = http.patch(
            "/api/auth/me", json={"home_commune": None}, headers={"Authorization": f"Bearer {t_carol}"}
        )
        assert profile.status_code == 200
        carol_id = profile.json()["id"]
    async with (
        await LiveSocket.open(stack.ws_url(0), t_alice) as alice_ws,
        await LiveSocket.open(stack.ws_url(1), t_bob) as bob_ws,
        await LiveSocket.open(stack.ws_url(1), t_carol) as carol_ws,
    ):
        for socket in (alice_ws, bob_ws, carol_ws):
            await socket.subscribe(topic)
        first = await alice_ws.request({"type": "post", "topic": topic, "body": edited_secret})
        second = await alice_ws.request({"type": "post", "topic": topic, "body": deleted_secret})
        third = await carol_ws.request({"type": "post", "topic": topic, "body": erased_text})
        await carol_ws.send({"type": "typing", "topic": topic})
        edit = {"type": "edit", "topic": topic, "message": first["data"]["id"], "body": "version publique"}
        assert (await alice_ws.request(edit))["type"] == "ok"
        delete = {"type": "delete", "topic": topic, "message": second["data"]["id"]}
        assert (await alice_ws.request(delete))["type"] == "ok"
        await bob_ws.wait_seq(topic, 5)  # the other process saw it all live
        # Carol's traces in notify's tables: a reaction, a read marker, preferences, an invitation
        # sent and one received, a reply notification to her, a mention of bob naming her.
        await carol_ws.subscribe(f"user:{carol_id}")
        react = {"type": "react", "topic": topic, "message": first["data"]["id"], "emoji": "🎉"}
        assert (await carol_ws.request(react))["data"]["count"] == 1
        assert (await carol_ws.request({"type": "read", "topic": topic, "seq": 5}))["type"] == "ok"
        reply = {"type": "post", "topic": topic, "body": "réponse à carol", "reply_to": third["data"]["id"]}
        assert (await alice_ws.request(reply))["type"] == "ok"
        mention = {"type": "post", "topic": topic, "body": f"@{bob} d'accord {tag}"}
        assert (await carol_ws.request(mention))["type"] == "ok"
        await carol_ws.wait_for(lambda f: f.get("kind") == "notification.created", timeout=20)
    with stack.http(1, t_carol) as http:
        assert http.put("/api/notifications/preferences", json={"language": "en"}).status_code == 200
        own_room = http.post("/api/rooms", json={"name": "Chez carol", "visibility": "private"}).json()
        assert http.post(f"/api/rooms/{own_room['id']}/invitations", json={"username": bob}).status_code == 201
    with stack.http(0, t_alice) as http:
        alice_room = http.post("/api/rooms", json={"name": "Chez alice", "visibility": "private"}).json()
        invited = http.post(f"/api/rooms/{alice_room['id']}/invitations", json={"username": carol_name})
        assert invited.status_code == 201, invited.text
    traces = f"""
from django.db.models import Q
from discussions.models import Invitation, Reaction, ReadMarker
from notifications.models import DeliveryJob, Notification, Preferences
from realtime.models import TopicEvent
from notifications.services import deliveries_run
deliveries_run()
print(json.dumps({{
    "reactions": Reaction.objects.filter(user_id={carol_id}).count(),
    "read_markers": ReadMarker.objects.filter(user_id={carol_id}).count(),
    "invitations": Invitation.objects.filter(Q(user_id={carol_id}) | Q(invited_by_id={carol_id})).count(),
    "notifications": Notification.objects.filter(user_id={carol_id}).count(),
    "preferences": Preferences.objects.filter(user_id={carol_id}).count(),
    "personal_events": TopicEvent.objects.filter(topic="user:{carol_id}").exclude(data={{"redacted": True}}).count(),
    "naming_her": sum({carol_name!r} in repr(n.data) for n in Notification.objects.all()),
    "queued": DeliveryJob.objects.count(),
}}))
"""
    before = stack.run_python(traces)
    assert before["queued"] == 0
    assert all(before[key] >= 1 for key in ("reactions", "read_markers", "notifications", "preferences")), before
    assert before["invitations"] == 2 and before["personal_events"] >= 2 and before["naming_her"] >= 1, before
    # Anyone, anonymous too, replaying from 0 on either process no longer gets the old text.
    for index in (0, 1):
        replay = await replayed_text(stack, [topic], index)
        assert edited_secret not in replay and deleted_secret not in replay
    # Carol erases her account (her sockets are closed: what stays is what the stores hold).
    with stack.http(0, t_carol) as http:
        assert http.request("DELETE", "/api/auth/me", json={"password": "wrong-password"}).status_code == 403
        assert http.request("DELETE", "/api/auth/me", json={"password": carol_password}).status_code == 204
        assert http.get("/api/auth/me").status_code == 401  # the token died with the account
    with stack.http(1) as http:
        assert (
            http.post("/api/auth/token", json={"username": carol_name, "password": carol_password}).status_code == 401
        )
        history = http.get(f"/api/rooms/{room_id}/messages").json()["items"]
    by_id = {item["id"]: item for item in history}
    assert by_id[third["data"]["id"]]["author"] == "deleted user"
    assert by_id[third["data"]["id"]]["body"] == erased_text  # the message stays, its author is gone
    assert by_id[first["data"]["id"]]["body"] == "version publique"
    assert by_id[second["data"]["id"]]["deleted"] is True
    assert by_id[first["data"]["id"]]["reactions"] == {}  # her reaction went with her
    after = stack.run_python(traces)
    assert after == {key: 0 for key in after}, after

    replays = [await replayed_text(stack, [topic], index) for index in (0, 1)]
    stores = {
        "database": database_dump(stack),
        "redis": redis_dump(stack),
        "replay on process 0": replays[0],
        "replay on process 1": replays[1],
    }
    for gone in (edited_secret, deleted_secret, carol_name):
        for store, text in stores.items():
            assert gone not in text, f"{gone!r} still in {store}"
        assert gone.encode() not in sqlite_file_bytes(stack), f"{gone!r} still in the SQLite file"
    # What must stay stayed: the seqs (tombstones keep them), the edit, carol's message.
    assert '"seq": 5' in replays[1] or "'seq': 5" in replays[1]
    assert "version publique" in replays[0] and erased_text in replays[1]
    assert "deleted user" in replays[0]
    assert stores["database"].count("'redacted': True") >= 2  # the posted events of both secrets
