"""Who may follow a room topic, asked for many readers at once (a reconnect storm's subscribes):
the same answers as asking for each reader alone, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from discussions.models import Membership, RoomSanction
from discussions.services import room_member_add, room_sanction_set
from discussions.topics import RoomTopic
from realtime.errors import AppError


def alone(kind: RoomTopic, user, room_id: int) -> str | None:
    try:
        kind.authorize_read(None if isinstance(user, AnonymousUser) else user, room_id)
        return None
    except AppError as exc:
        return f"{exc.code}: {exc.message}"


def together(answers: list) -> list[str | None]:
    return [None if a is None else f"{a.code}: {a.message}" for a in answers]


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", ["public", "private"])
def test_many_readers_get_the_answers_each_would_get_alone(make_user, make_room, visibility, django_assert_num_queries):
    owner, member, banned, outsider = (make_user() for _ in range(4))
    room = make_room(owner, visibility=visibility)
    room_member_add(by=owner, room_id=room.id, user=member, role=Membership.MEMBER)
    room_member_add(by=owner, room_id=room.id, user=banned, role=Membership.MEMBER)
    room_sanction_set(room_id=room.id, user=banned, kind=RoomSanction.BAN, reason="insultes")
    readers = [owner, member, banned, outsider, None, member]
    kind = RoomTopic()
    with django_assert_num_queries(3 if visibility == "private" else 2):  # room, bans (, memberships)
        answers = together(kind.authorize_read_many(readers, room.id))
    assert answers == [alone(kind, user, room.id) for user in readers]
    refused = {"private": [2, 3, 4], "public": [2]}[visibility]  # the banned; outsiders of a private room
    assert [i for i, a in enumerate(answers) if a is not None] == refused


@pytest.mark.django_db
def test_a_missing_room_is_not_found_for_everyone(make_user):
    answers = RoomTopic().authorize_read_many([make_user(), None], 987654)
    assert [(a.code, a.message) for a in answers] == [("not_found", "room 987654 does not exist")] * 2
