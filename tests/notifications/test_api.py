"""HTTP: list, mark read one and all, preferences, mute; rooms' members, invitations, reactions, unread."""

from __future__ import annotations

import pytest
from django.test import Client

from discussions.services import message_post
from notifications.models import Notification
from notifications.services import deliveries_run

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def _mention(django_capture_on_commit_callbacks, author, room, body) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message_post(author=author, room_id=room.id, body=body)
    deliveries_run()


def test_list_read_one_read_all_and_someone_elses_refused(make_user, make_room, django_capture_on_commit_callbacks):
    alice, bob = make_user("alice"), make_user("bob")
    room = make_room(alice)
    for n in range(3):
        _mention(django_capture_on_commit_callbacks, bob, room, f"@alice {n}")
    client = Client()
    page = client.get("/api/notifications", **bearer(alice)).json()
    assert page["unread"] == 3 and page["topic"] == f"user:{alice.pk}"
    assert [i["data"]["excerpt"] for i in page["items"]] == ["@alice 2", "@alice 1", "@alice 0"]
    newest = page["items"][0]["id"]
    refused = client.post(f"/api/notifications/{newest}/read", **bearer(bob))
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert Notification.objects.filter(read_at__isnull=False).count() == 0
    assert client.post(f"/api/notifications/{newest}/read", **bearer(alice)).json()["read"] == [newest]
    assert client.get("/api/notifications?unread_only=true", **bearer(alice)).json()["unread"] == 2
    assert len(client.post("/api/notifications/read", **bearer(alice)).json()["read"]) == 2
    assert client.get("/api/notifications", **bearer(alice)).json()["unread"] == 0
    assert client.get("/api/notifications").status_code == 401


def test_preferences_and_mute_over_http(make_user, make_room):
    alice = make_user("alice")
    room = make_room(alice)
    client = Client()
    prefs = client.put(
        "/api/notifications/preferences",
        {"language": "en", "digest": "hourly", "kinds": {"reply": {"email": False}}},
        "application/json",
        **bearer(alice),
    ).json()
    assert (prefs["language"], prefs["digest"], prefs["kinds"]["reply"]) == (
        "en",
        "hourly",
        {"app": True, "email": False},
    )
    bad = client.put("/api/notifications/preferences", {"digest": "weekly"}, "application/json", **bearer(alice))
    assert bad.status_code == 400
    muted = client.post("/api/notifications/mute", {"subject": room.topic}, "application/json", **bearer(alice))
    assert muted.json()["muted"] == [room.topic]


def test_private_room_management_over_http(make_user, make_room):
    owner, friend = make_user("owner"), make_user("friend")
    room = make_room(owner, visibility="private")
    client = Client()
    invited = client.post(
        f"/api/rooms/{room.id}/invitations", {"username": "friend"}, "application/json", **bearer(owner)
    )
    assert invited.status_code == 201
    unknown = client.post(
        f"/api/rooms/{room.id}/invitations", {"username": "ghost"}, "application/json", **bearer(owner)
    )
    assert unknown.status_code == 404 and "ghost" in unknown.json()["message"]
    [pending] = client.get("/api/rooms/invitations/pending", **bearer(friend)).json()
    assert pending["room_name"] == room.name and pending["invited_by"] == "owner"
    assert client.post(f"/api/rooms/invitations/{pending['id']}/accept", **bearer(friend)).status_code == 200
    message = message_post(author=owner, room_id=room.id, body="bienvenue")
    listed = client.get("/api/rooms", **bearer(friend)).json()["items"]
    assert [(r["id"], r["unread"]) for r in listed] == [(room.id, 1)]
    reaction = client.post(
        f"/api/rooms/{room.id}/messages/{message['id']}/reactions", {"emoji": "❤️"}, "application/json", **bearer(friend)
    )
    assert reaction.json()["count"] == 1
    history = client.get(f"/api/rooms/{room.id}/messages", **bearer(friend)).json()["items"]
    assert history[-1]["reactions"] == {"❤️": 1}
    client.post(f"/api/rooms/{room.id}/read", {"seq": message["seq"]}, "application/json", **bearer(friend))
    assert client.get(f"/api/rooms/{room.id}", **bearer(friend)).json()["unread"] == 0
    members = client.get(f"/api/rooms/{room.id}/members", **bearer(friend)).json()
    assert members == [{"username": "friend", "role": "member"}, {"username": "owner", "role": "owner"}]
    assert (
        client.put(
            f"/api/rooms/{room.id}/members/friend", {"role": "moderator"}, "application/json", **bearer(owner)
        ).status_code
        == 200
    )
    assert client.delete(f"/api/rooms/{room.id}/members/friend", **bearer(owner)).status_code == 204
    assert client.get(f"/api/rooms/{room.id}", **bearer(friend)).status_code == 404
