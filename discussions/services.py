"""Writes on rooms and messages. Each runs in one transaction and publishes on commit."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from discussions.mentions import message_notify, moderation_notify
from discussions.models import Membership, Message, Room
from discussions.selectors import room_get_readable, room_role
from realtime.errors import AppError
from realtime.idempotency import write_once
from realtime.sequencing import topic_event_append

BODY_MAX = 4000


def room_create(*, creator, name: str, visibility: str = Room.PUBLIC, commune=None, description: str = "") -> Room:
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise AppError("bad_request", "name must be 1-120 characters")
    if visibility not in (Room.PUBLIC, Room.PRIVATE):
        raise AppError("bad_request", "visibility must be 'public' or 'private'")
    with transaction.atomic():
        room = Room.objects.create(
            name=name, visibility=visibility, commune=commune, created_by=creator, description=description
        )
        Membership.objects.create(room=room, user=creator, role=Membership.OWNER)
    return room


def room_join(*, user, room_id: int) -> Membership:
    """Anyone may join a public room; a private one is joined by invitation (room_member_add)."""
    room = room_get_readable(room_id=room_id, user=user)
    membership, _ = Membership.objects.get_or_create(room=room, user=user, defaults={"role": Membership.MEMBER})
    return membership


def room_member_add(*, by, room_id: int, user, role: str = Membership.MEMBER) -> Membership:
    room = room_get_readable(room_id=room_id, user=by)
    if room_role(room=room, user=by) not in (Membership.OWNER, Membership.MODERATOR):
        raise AppError("forbidden", "only owners and moderators add members")
    if role not in dict(Membership.ROLES) or (
        role == Membership.OWNER and room_role(room=room, user=by) != Membership.OWNER
    ):
        raise AppError("bad_request", "invalid role")
    membership, _ = Membership.objects.update_or_create(room=room, user=user, defaults={"role": role})
    return membership


def _body_clean(body: object) -> str:
    if not isinstance(body, str):
        raise AppError("bad_request", "body must be a string")
    if not body.strip():
        raise AppError("bad_request", "body must not be empty")
    if len(body) > BODY_MAX:
        raise AppError("bad_request", f"body is limited to {BODY_MAX} characters")
    return body


def _room_for_write(*, user, room_id: int) -> Room:
    if user is None or not user.is_authenticated:
        raise AppError("auth_required", "sign in to write")
    room = room_get_readable(room_id=room_id, user=user, private_as="forbidden")
    return room


def message_post(*, author, room_id: int, body: str, reply_to: int | None = None, ref: str | None = None) -> dict:
    """Post in a room the author may read (any signed-in user in a public room).
    Publishes `message.posted`; returns {id, seq}."""
    body = _body_clean(body)
    room = _room_for_write(user=author, room_id=room_id)

    def perform() -> dict:
        if reply_to is not None and not Message.objects.filter(id=reply_to, room=room).exists():
            raise AppError("not_found", f"message {reply_to} is not in this room")
        now = timezone.now()
        event = topic_event_append(
            topic=room.topic,
            kind="message.posted",
            data={"author": author.username, "body": body, "reply_to": reply_to, "at": now.isoformat(), "id": None},
        )
        message = Message.objects.create(
            room=room, author=author, body=body, reply_to_id=reply_to, seq=event.seq, created_at=now
        )
        # The id is known only now; the frame is built on commit from the stored event.
        event.data["id"] = message.id
        event.save(update_fields=["data"])
        message_notify(message=message, room=room)
        return {"id": message.id, "seq": event.seq}

    with transaction.atomic():
        return write_once(user=author, ref=ref, action="post", perform=perform)


def _message_for_change(*, user, room: Room, message_id: object, moderators_too: bool) -> Message:
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise AppError("bad_request", "message must be a message id")
    message = Message.objects.select_for_update().filter(id=message_id, room=room).first()
    if message is None or message.deleted_at is not None:
        raise AppError("not_found", f"message {message_id} is not in this room")
    if message.author_id != user.id:
        if not moderators_too or room_role(room=room, user=user) not in (Membership.OWNER, Membership.MODERATOR):
            raise AppError("forbidden", "you may only change your own messages")
    return message


def message_edit(*, user, room_id: int, message_id: int, body: str, ref: str | None = None) -> dict:
    """The author edits their message; publishes `message.edited`."""
    body = _body_clean(body)
    room = _room_for_write(user=user, room_id=room_id)

    def perform() -> dict:
        message = _message_for_change(user=user, room=room, message_id=message_id, moderators_too=False)
        message.body = body
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "edited_at"])
        event = topic_event_append(
            topic=room.topic,
            kind="message.edited",
            data={"id": message.id, "body": body, "edited_at": message.edited_at.isoformat()},
        )
        return {"id": message.id, "seq": event.seq}

    with transaction.atomic():
        return write_once(user=user, ref=ref, action="edit", perform=perform)


def message_delete(*, user, room_id: int, message_id: int, ref: str | None = None) -> dict:
    """The author, or a moderator of the room, deletes a message; publishes `message.deleted`."""
    room = _room_for_write(user=user, room_id=room_id)

    def perform() -> dict:
        message = _message_for_change(user=user, room=room, message_id=message_id, moderators_too=True)
        message.deleted_at = timezone.now()
        message.save(update_fields=["deleted_at"])
        event = topic_event_append(topic=room.topic, kind="message.deleted", data={"id": message.id})
        if message.author_id != user.id:
            moderation_notify(message=message, room=room, moderator=user)
        return {"id": message.id, "seq": event.seq}

    with transaction.atomic():
        return write_once(user=user, ref=ref, action="delete", perform=perform)
