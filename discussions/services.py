"""Writes on rooms and messages. Each user write runs through `user_write` (one transaction,
receipt, rate limit) and publishes on commit. Input types and limits are checked before, by
`discussions.inputs`; what is left here are the rules of rooms."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.selectors import DELETED_USER
from accounts.tags import tags_index_set
from communes.selectors import commune_get
from communes.stream import commune_news_append
from discussions.mentions import message_notify, moderation_notify
from discussions.models import Invitation, Membership, Message, Reaction, ReadMarker, Room, RoomSanction
from discussions.reactions import reactions_changed
from discussions.selectors import room_get_postable, room_get_readable, room_role, room_writer_check
from realtime.access import topic_access_changed
from realtime.errors import AppError
from realtime.redaction import topic_events_redact
from realtime.sequencing import topic_event_append, topic_seq_take
from realtime.writes import user_write

# Roles from least to most: granting a role never lowers one already held.
ROLE_RANK = {Membership.MEMBER: 0, Membership.MODERATOR: 1, Membership.OWNER: 2}


@user_write("room_create", actor="creator")
def room_create(
    *,
    creator,
    name: str,
    visibility: str = Room.PUBLIC,
    commune: str | None = None,
    description: str = "",
    announce: bool = True,
    tags: list[str] | None = None,
    ref: str | None = None,
) -> dict:
    """Create a room owned by `creator` (`commune` is an INSEE code); returns {id, topic}.
    A public room of a commune is announced on its news topic unless `announce` is off (an
    event's own discussion room: the event is the news)."""
    room = Room.objects.create(
        name=name,
        visibility=visibility,
        commune=commune_get(insee=commune) if commune else None,
        created_by=creator,
        description=description,
        tags=list(tags or []),
    )
    Membership.objects.create(room=room, user=creator, role=Membership.OWNER)
    if room.tags:
        tags_index_set(kind="room", object_id=room.id, tags=room.tags)
    if announce and room.visibility == Room.PUBLIC:
        commune_news_append(
            insee=room.commune_id,
            kind="commune.room_created",
            data={"id": room.id, "name": room.name, "description": room.description, "at": room.created_at.isoformat()},
        )
    return {"id": room.id, "topic": room.topic}


@user_write("room_join")
def room_join(*, user, room_id: int, ref: str | None = None) -> dict:
    """Anyone may join a public room; a private one is joined by invitation. Returns {room, role}."""
    room = room_get_readable(room_id=room_id, user=user)
    membership, _ = Membership.objects.get_or_create(room=room, user=user, defaults={"role": Membership.MEMBER})
    return {"room": room.id, "role": membership.role}


def room_member_add(*, by, room_id: int, user, role: str = Membership.MEMBER) -> Membership:
    room = room_get_readable(room_id=room_id, user=by)
    if room_role(room=room, user=by) not in (Membership.OWNER, Membership.MODERATOR):
        raise AppError("forbidden", "only owners and moderators add members")
    if role not in dict(Membership.ROLES) or (
        role == Membership.OWNER and room_role(room=room, user=by) != Membership.OWNER
    ):
        raise AppError("bad_request", "invalid role")
    before = Membership.objects.filter(room=room, user=user).values_list("role", flat=True).first()
    membership, _ = Membership.objects.update_or_create(room=room, user=user, defaults={"role": role})
    if before is not None and ROLE_RANK[role] < ROLE_RANK[before]:
        topic_access_changed(room.topic)  # a moderator made a member loses the moderators' topics live
    return membership


def room_members_grant(*, room_id: int, users: list, role: str) -> None:
    """Give each of `users` at least `role` in the room, never lowering a role held: for the
    app that owns a room's audience (an event's organisers moderate its room, its invitees
    join it). The caller has checked who may do this."""
    for user in users:
        membership, created = Membership.objects.get_or_create(room_id=room_id, user=user, defaults={"role": role})
        if not created and ROLE_RANK[membership.role] < ROLE_RANK[role]:
            membership.role = role
            membership.save(update_fields=["role"])


def room_staff_lower(*, room_id: int, users: list, owner_instead=None) -> None:
    """Make `users` plain members of the room (they lose owning or moderating it), for the app
    that owns a room's staff (an organisation whose admin is removed). An owner lowered hands
    the room to `owner_instead`. The caller has checked who may do this."""
    lowered = Membership.objects.filter(room_id=room_id, user__in=users).exclude(role=Membership.MEMBER)
    had_owner = lowered.filter(role=Membership.OWNER).exists()
    lowered.update(role=Membership.MEMBER)
    if had_owner and owner_instead is not None:
        Membership.objects.update_or_create(room_id=room_id, user=owner_instead, defaults={"role": Membership.OWNER})


def room_settings_set(*, room_id: int, name: str, visibility: str) -> None:
    """Rename a room and set its visibility (an event's room follows the event's title and privacy)."""
    Room.objects.filter(id=room_id).exclude(name=name, visibility=visibility).update(name=name, visibility=visibility)


def _message_for_change(*, user, room: Room, message_id: int, moderators_too: bool) -> Message:
    message = Message.objects.select_for_update().filter(id=message_id, room=room).first()
    if message is None or message.deleted_at is not None:
        raise AppError("not_found", f"message {message_id} is not in this room")
    if message.hidden_at is not None:
        raise AppError("conflict", "this message is hidden pending a moderation vote")
    if message.author_id != user.id:
        if not moderators_too or room_role(room=room, user=user) not in (Membership.OWNER, Membership.MODERATOR):
            raise AppError("forbidden", "you may only change your own messages")
    return message


@user_write("post", actor="author")
def message_post(*, author, room_id: int, body: str, reply_to: int | None = None, ref: str | None = None) -> dict:
    """Post in a room the author may read (any signed-in user in a public room).
    Publishes `message.posted`; returns {id, seq}."""
    room = room_get_postable(room_id=room_id, user=author)
    if reply_to is not None and not Message.objects.filter(id=reply_to, room=room).exists():
        raise AppError("not_found", f"message {reply_to} is not in this room")
    # The seq first: the message row carries it, and its event is written once, complete.
    seq = topic_seq_take(room.topic)
    now = timezone.now()
    message = Message.objects.create(room=room, author=author, body=body, reply_to_id=reply_to, seq=seq, created_at=now)
    topic_event_append(
        topic=room.topic,
        kind="message.posted",
        seq=seq,
        at=now,
        data={"id": message.id, "author": author.username, "body": body, "reply_to": reply_to, "at": now.isoformat()},
        bulk=True,  # nothing reads a post's event back within its batch's posts
    )
    message_notify(message=message, room=room)
    return {"id": message.id, "seq": seq}


def _message_events_redact(*, room: Room, message: Message) -> None:
    """The stored events that carried the message's text so far become tombstones (same seq)."""
    topic_events_redact(
        topic=room.topic,
        object_id=message.id,
        kinds=("message.posted", "message.edited", "message.restored"),
        keep=("id", "author", "reply_to", "at", "edited_at"),
    )


@user_write("edit")
def message_edit(*, user, room_id: int, message_id: int, body: str, ref: str | None = None) -> dict:
    """The author edits their message; publishes `message.edited`."""
    room = room_get_readable(room_id=room_id, user=user)
    room_writer_check(room=room, user=user)
    message = _message_for_change(user=user, room=room, message_id=message_id, moderators_too=False)
    _message_events_redact(room=room, message=message)
    message.body = body
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "edited_at"])
    event = topic_event_append(
        topic=room.topic,
        kind="message.edited",
        data={"id": message.id, "body": body, "edited_at": message.edited_at.isoformat()},
    )
    return {"id": message.id, "seq": event.seq}


@user_write("delete")
def message_delete(*, user, room_id: int, message_id: int, ref: str | None = None) -> dict:
    """The author, or a moderator of the room, deletes a message; publishes `message.deleted`."""
    room = room_get_readable(room_id=room_id, user=user)
    message = _message_for_change(user=user, room=room, message_id=message_id, moderators_too=True)
    if message.author_id != user.id:
        # Before the text goes: the author alone is told what of theirs was removed.
        moderation_notify(message=message, room=room, moderator=user)
    _message_events_redact(room=room, message=message)
    message.body = ""  # the text is gone from every store, not only hidden
    message.deleted_at = timezone.now()
    message.save(update_fields=["body", "deleted_at"])
    event = topic_event_append(topic=room.topic, kind="message.deleted", data={"id": message.id})
    return {"id": message.id, "seq": event.seq}


# --- co-moderation (called by the moderation app inside its own write) --------------------------


def _message_locked(room_id: int, message_id: int) -> Message:
    message = Message.objects.select_for_update().filter(id=message_id, room_id=room_id).first()
    if message is None or message.deleted_at is not None:
        raise AppError("not_found", f"message {message_id} is not in this room")
    return message


def message_hide(*, room_id: int, message_id: int) -> Message:
    """Hide a message pending a moderation vote: its stored events become tombstones (nobody
    replays its text), its history entry shows no text, `message.hidden` tells every socket."""
    message = _message_locked(room_id, message_id)
    if message.hidden_at is None:
        _message_events_redact(room=message.room, message=message)
        message.hidden_at = timezone.now()
        message.save(update_fields=["hidden_at"])
        topic_event_append(topic=message.room.topic, kind="message.hidden", data={"id": message.id})
    return message


def message_restore(*, room_id: int, message_id: int) -> None:
    """The vote kept the message: its text comes back, live (`message.restored` carries it)."""
    message = _message_locked(room_id, message_id)
    if message.hidden_at is None:
        return
    message.hidden_at = None
    message.save(update_fields=["hidden_at"])
    data = {
        "id": message.id,
        "author": message.author.username if message.author else DELETED_USER,
        "body": message.body,
        "reply_to": message.reply_to_id,
        "at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
    }
    topic_event_append(topic=message.room.topic, kind="message.restored", data=data)


def message_remove(*, room_id: int, message_id: int) -> None:
    """The vote removed the message: gone as a deletion is (text erased, events redacted,
    `message.deleted`)."""
    # Its author is notified by the moderation app, with the vote's reasons and not the text: the
    # text must leave every store, the author's notifications included.
    message = _message_locked(room_id, message_id)
    _message_events_redact(room=message.room, message=message)
    message.body = ""
    message.hidden_at = None
    message.deleted_at = timezone.now()
    message.save(update_fields=["body", "hidden_at", "deleted_at"])
    topic_event_append(topic=message.room.topic, kind="message.deleted", data={"id": message.id})


def room_sanction_set(*, room_id: int, user, kind: str, reason: str, lift: bool = False) -> bool:
    """Mute or ban `user` in the room (or lift it); returns whether anything changed. A ban
    ends the person's live subscriptions to the room's topic on every process; the caller
    re-checks the other topics it knows of (debate, floor)."""
    if kind not in (RoomSanction.MUTE, RoomSanction.BAN):
        raise AppError("bad_request", "kind must be mute or ban")
    room = Room.objects.get(id=room_id)
    if lift:
        changed = RoomSanction.objects.filter(room=room, user=user, kind=kind).delete()[0] > 0
    else:
        _, changed = RoomSanction.objects.get_or_create(room=room, user=user, kind=kind, defaults={"reason": reason})
    if changed and kind == RoomSanction.BAN:
        topic_access_changed(room.topic)
    return changed


def room_visibility_set(*, by, room_id: int, visibility: str) -> Room:
    """The owner makes a room public or private. Turning private ends the live subscriptions
    of everyone who is not a member, on every process."""
    if visibility not in (Room.PUBLIC, Room.PRIVATE):
        raise AppError("bad_request", "visibility must be 'public' or 'private'")
    with transaction.atomic():
        room = room_get_readable(room_id=room_id, user=by)
        room = Room.objects.select_for_update().get(id=room.id)
        if room_role(room=room, user=by) != Membership.OWNER:
            raise AppError("forbidden", "only the owner changes who may read the room")
        if room.visibility != visibility:
            room.visibility = visibility
            room.save(update_fields=["visibility"])
            topic_access_changed(room.topic)
    return room


def user_rooms_erase(*, user) -> None:
    """Account erasure (settings.ACCOUNT_ERASERS): the user's messages stay, authored by nobody;
    their memberships, reactions (the rooms' `reactions` states are bumped), read markers and
    invitations go; invitations they sent stay, sent by nobody. Runs in the caller's transaction."""
    Message.objects.filter(author=user).update(author=None)
    Room.objects.filter(created_by=user).update(created_by=None)
    Membership.objects.filter(user=user).delete()
    reacted = Reaction.objects.filter(user=user).values_list("message__room_id", "message_id")
    by_room: dict[int, list[int]] = {}
    for room_id, message_id in reacted:
        by_room.setdefault(room_id, []).append(message_id)
    Reaction.objects.filter(user=user).delete()
    for room_id, message_ids in by_room.items():
        reactions_changed(room_id=room_id, message_ids=message_ids)
    ReadMarker.objects.filter(user=user).delete()
    Invitation.objects.filter(user=user).delete()
    Invitation.objects.filter(invited_by=user).update(invited_by=None)
    RoomSanction.objects.filter(user=user).delete()


def room_members_revoke(*, room_id: int, users: list) -> None:
    """Remove `users` from the room (never its owner); the caller publishes the access change."""
    Membership.objects.filter(room_id=room_id, user__in=users).exclude(role=Membership.OWNER).delete()
