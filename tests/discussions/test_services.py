"""Room and message services: the write path they share with every app."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from discussions.models import Message, Room
from discussions.services import message_post, room_create
from realtime import ratelimit
from realtime.errors import AppError
from realtime.models import TopicEvent, WriteReceipt

pytestmark = pytest.mark.django_db


def test_a_post_writes_its_event_once_complete(make_user, make_room):
    alice = make_user("alice")
    room = make_room(alice)
    with CaptureQueriesContext(connection) as queries:
        result = message_post(author=alice, room_id=room.id, body="bonjour", ref="p1")
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum('INSERT INTO "realtime_topicevent"' in sql for sql in statements) == 1
    assert not any('UPDATE "realtime_topicevent"' in sql for sql in statements)
    event = TopicEvent.objects.get(topic=room.topic, seq=result["seq"])
    message = Message.objects.get(id=result["id"])
    assert event.data["id"] == message.id and message.seq == event.seq
    # receipt claim (one insert), room read, seq, message, event, receipt result
    assert len([sql for sql in statements if "SAVEPOINT" not in sql]) == 6, statements


def test_signed_out_writes_are_refused_before_anything_is_written(make_user, make_room):
    room = make_room(make_user())
    for call in (
        lambda: message_post(author=None, room_id=room.id, body="x", ref="a"),
        lambda: room_create(creator=None, name="Salon"),
    ):
        with pytest.raises(AppError) as error:
            call()
        assert error.value.code == "auth_required"
    assert Message.objects.count() == 0 and Room.objects.count() == 1 and WriteReceipt.objects.count() == 0


def test_room_create_takes_a_ref_and_the_rate_limit(make_user, settings):
    alice = make_user("alice")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {alice.token}"}
    first = Client().post("/api/rooms", {"name": "Salon", "ref": "c1"}, "application/json", **bearer)
    again = Client().post("/api/rooms", {"name": "Salon", "ref": "c1"}, "application/json", **bearer)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Room.objects.count() == 1
    settings.RATE_LIMIT_BURST = 1
    settings.RATE_LIMIT_PER_SECOND = 0.1
    ratelimit._buckets.clear()
    room_id = first.json()["id"]
    assert Client().post(f"/api/rooms/{room_id}/join", {}, "application/json", **bearer).status_code == 200
    limited = Client().post("/api/rooms", {"name": "Autre"}, "application/json", **bearer)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert Room.objects.count() == 1
