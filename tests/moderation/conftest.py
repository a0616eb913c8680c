"""Factories for co-moderation tests: a public room with an owner, a moderator, a trusted
member, a message by an author, and people to report it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class Scene:
    room: object
    owner: object
    moderator: object
    trusted: object
    author: object
    message: int
    reporters: list


@pytest.fixture
def scene(make_user, make_room):
    from discussions.services import message_post, room_join, room_member_add
    from moderation.services import member_trust

    owner, moderator, trusted, author = make_user("owner"), make_user("modo"), make_user("sure"), make_user("author")
    room = make_room(owner, name="Quartier")
    room_member_add(by=owner, room_id=room.id, user=moderator, role="moderator")
    room_join(user=trusted, room_id=room.id)
    member_trust(user=owner, room_id=room.id, username="sure")
    posted = message_post(author=author, room_id=room.id, body="un texte injurieux")
    reporters = [make_user(f"r{i}") for i in range(4)]
    return Scene(room, owner, moderator, trusted, author, posted["id"], reporters)
