from __future__ import annotations

import copy
from collections.abc import Callable

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.selectors import DELETED_USER
from discussions.models import Invitation, Membership, Message, Reaction, ReadMarker, Room, RoomSanction
from realtime.auth import signed_in
from realtime.batching import batch_cached, in_batched_write
from realtime.errors import AppError
from realtime.event_log import topic_head

HISTORY_MAX_LIMIT = 200


def room_role(*, room: Room, user) -> str | None:
    if not signed_in(user):
        return None
    return Membership.objects.filter(room=room, user=user).values_list("role", flat=True).first()


def room_moderated_by(*, room: Room, user) -> bool:
    """Whether `user` owns or moderates the room."""
    return room_role(room=room, user=user) in (Membership.OWNER, Membership.MODERATOR)


def room_is_member(*, room_id: int, user) -> bool:
    return signed_in(user) and Membership.objects.filter(room_id=room_id, user=user).exists()


def room_member_count(room_id: int) -> int:
    return Membership.objects.filter(room_id=room_id).count()


def room_member_ids(room_id: int) -> list[int]:
    return list(Membership.objects.filter(room_id=room_id).values_list("user_id", flat=True))


def room_readable_filter(user, prefix: str = "") -> Q:
    """Rooms `user` may read, as a filter on a model that points at a room through `prefix`
    (e.g. "room__"): public rooms, and private ones they belong to."""
    readable = Q(**{f"{prefix}visibility": Room.PUBLIC})
    if signed_in(user):
        readable |= Q(**{f"{prefix}memberships__user": user})
    return readable


def room_sanctions_of(*, room_id: int, user) -> set[str]:
    """`mute` and/or `ban` when the room's moderators restricted `user` there."""
    if not signed_in(user):
        return set()
    return set(RoomSanction.objects.filter(room_id=room_id, user=user).values_list("kind", flat=True))


def _room_missing(room_id: int) -> AppError:
    return AppError("not_found", f"room {room_id} does not exist")


def _room_read_refusal(room: Room, *, member: Callable[[], bool], banned: bool) -> AppError | None:
    """The one rule of who may read a room, however its facts were read (one reader, the readers
    of a reconnect storm, the posts of a group-commit batch): a private room's outsiders get
    `not_found`, worded as for a missing room, to a read and a write alike, so that its
    sequential id says nothing (`member` is asked only for a private room); a banned person
    `forbidden` (they know they were banned)."""
    if room.visibility == Room.PRIVATE and not member():
        return _room_missing(room.id)
    if banned:
        return AppError("forbidden", "you are banned from this room by its moderators")
    return None


def room_get_readable(*, room_id: int, user) -> Room:
    """The room if `user` may read it. A private room is invisible to outsiders:
    `not_found` on every path, HTTP or socket, read or write. A banned person may not read
    it (`forbidden`: they know they were banned). The person's sanctions come with the room row
    (one query) and stay on it for `room_writer_check`."""
    rooms = Room.objects.filter(id=room_id)
    if signed_in(user):
        sanctions = RoomSanction.objects.filter(room_id=OuterRef("id"), user=user)
        rooms = rooms.annotate(
            viewer_banned=Exists(sanctions.filter(kind=RoomSanction.BAN)),
            viewer_muted=Exists(sanctions.filter(kind=RoomSanction.MUTE)),
        )
    room = rooms.first()
    if room is None:
        raise _room_missing(room_id)
    refusal = _room_read_refusal(
        room,
        member=lambda: room_role(room=room, user=user) is not None,
        banned=getattr(room, "viewer_banned", False),
    )
    if refusal is not None:
        raise refusal
    return room


def room_readers_check(*, room_id: int, users: list) -> list[AppError | None]:
    """`room_get_readable` for many people at once (the subscribes of a
    reconnect storm): None for each who may read the room, else the error they would get. Three
    queries whatever the number: the room, the bans among them, their memberships if private."""
    room = Room.objects.filter(id=room_id).first()
    if room is None:
        return [_room_missing(room_id) for _ in users]
    ids = {user.pk for user in users if signed_in(user)}
    banned = set(
        RoomSanction.objects.filter(room=room, user_id__in=ids, kind=RoomSanction.BAN).values_list("user_id", flat=True)
    )
    members = (
        set(Membership.objects.filter(room=room, user_id__in=ids).values_list("user_id", flat=True))
        if room.visibility == Room.PRIVATE
        else set()
    )
    pks = [user.pk if signed_in(user) else None for user in users]
    return [_room_read_refusal(room, member=lambda pk=pk: pk in members, banned=pk in banned) for pk in pks]


def _room_and_sanctions(room_id: int) -> tuple[Room | None, dict[int, set[str]]]:
    """The room and everyone's sanctions there, read once per group-commit batch. Two plain
    statements: building the same queries through the ORM cost more than running them (0.5 ms
    each against 0.02 ms on the bench's machine), once per batch of a debate's upvotes."""
    room = next(iter(Room.objects.raw(f"SELECT * FROM {Room._meta.db_table} WHERE id = %s", [room_id])), None)
    sanctions: dict[int, set[str]] = {}
    if room is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT user_id, kind FROM {RoomSanction._meta.db_table} WHERE room_id = %s", [room_id])
            for user_id, kind in cursor.fetchall():
                sanctions.setdefault(user_id, set()).add(kind)
    return room, sanctions


def room_get_postable(*, room_id: int, user) -> Room:
    """`room_get_readable` then `room_writer_check`, for a post: the same
    answers, but the room row and its sanctions are read once for the posts of one group-commit
    batch (realtime.batching.batch_cached; posting changes no room, role or sanction)."""
    if not in_batched_write():
        room = room_get_readable(room_id=room_id, user=user)
        room_writer_check(room=room, user=user)
        return room
    room, kinds = _room_readable_in_batch(room_id=room_id, user=user)
    if RoomSanction.MUTE in kinds:
        raise AppError("forbidden", "you are muted in this room by its moderators")
    return room


def room_get_readable_batched(*, room_id: int, user) -> Room:
    """`room_get_readable` for a write that changes no room, role or
    sanction (an upvote): in a group-commit batch the room and its sanctions are read once for
    the writes of one command (realtime.batching.batch_cached)."""
    if not in_batched_write():
        return room_get_readable(room_id=room_id, user=user)
    return _room_readable_in_batch(room_id=room_id, user=user)[0]


def room_get_readable_for_write(*, room_id: int, user) -> Room:
    """`room_get_readable` for a write that changes no room, role or sanction and may then call
    `room_writer_check` (a debate's question, hand or turn): in a group-commit batch the room
    and its sanctions are read once for the writes of one command, and the room returned is the
    writer's own copy carrying their `viewer_muted`, as `room_get_readable` annotates it (the
    batch's shared row must not carry one writer's sanctions to the next)."""
    if not in_batched_write():
        return room_get_readable(room_id=room_id, user=user)
    shared, kinds = _room_readable_in_batch(room_id=room_id, user=user)
    room = copy.copy(shared)
    room.viewer_muted = RoomSanction.MUTE in kinds
    return room


def _room_readable_in_batch(*, room_id: int, user) -> tuple[Room, set[str]]:
    room, sanctions = batch_cached(("room-sanctions", room_id), lambda: _room_and_sanctions(room_id))
    if room is None:
        raise _room_missing(room_id)
    kinds = sanctions.get(user.pk, set()) if signed_in(user) else set()
    refusal = _room_read_refusal(
        room,
        member=lambda: room_role(room=room, user=user) is not None,
        banned=RoomSanction.BAN in kinds,
    )
    if refusal is not None:
        raise refusal
    return room, kinds


def room_writer_check(*, room: Room, user) -> None:
    """`forbidden` when the room's moderators muted `user` (they read, they may not write)."""
    muted = getattr(room, "viewer_muted", None)
    if muted is None:
        muted = RoomSanction.MUTE in room_sanctions_of(room_id=room.id, user=user)
    if muted:
        raise AppError("forbidden", "you are muted in this room by its moderators")


def room_list(*, user, commune: str | None = None, q: str = "") -> QuerySet[Room]:
    rooms = Room.objects.filter(room_readable_filter(user)).distinct()
    if commune:
        rooms = rooms.filter(commune_id=commune)
    if q:
        rooms = rooms.filter(name__icontains=q)
    return rooms.select_related("commune")


def room_messages_page(
    *, room: Room, after_seq: int | None = None, before_seq: int | None = None, limit: int = 50
) -> tuple[list[Message], int]:
    """A page of history in seq order, and the room topic's head. With `before_seq`, the page
    just before it (scrolling back); with `after_seq`, the page just after it; else the latest."""
    if not 1 <= limit <= HISTORY_MAX_LIMIT:
        raise AppError("bad_request", f"limit must be between 1 and {HISTORY_MAX_LIMIT}")
    messages = Message.objects.filter(room=room).select_related("author")
    if after_seq is not None:
        page = list(messages.filter(seq__gt=after_seq).order_by("seq")[:limit])
    else:
        if before_seq is not None:
            messages = messages.filter(seq__lt=before_seq)
        page = list(messages.order_by("-seq")[:limit])[::-1]
    return page, topic_head(room.topic)


def message_as_dict(message: Message) -> dict:
    deleted = message.deleted_at is not None
    hidden = message.hidden_at is not None
    return {
        "id": message.id,
        "seq": message.seq,
        "author": message.author.username if message.author else DELETED_USER,
        "body": "" if deleted or hidden else message.body,
        "at": message.created_at.isoformat(),
        "reply_to": message.reply_to_id,
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "deleted": deleted,
        "hidden": hidden,
    }


def room_members(*, room: Room, user) -> list[dict]:
    """Members and roles, for those who may read the room (private: members only)."""
    room_get_readable(room_id=room.id, user=user)
    rows = Membership.objects.filter(room=room).select_related("user").order_by("user__username")
    return [{"username": m.user.username, "role": m.role} for m in rows]


def invitations_pending(*, user) -> list[dict]:
    rows = Invitation.objects.filter(user=user, status=Invitation.PENDING).select_related("room", "invited_by")
    return [
        {
            "id": i.id,
            "room": i.room_id,
            "room_name": i.room.name,
            "role": i.role,
            "invited_by": i.invited_by.username if i.invited_by else None,
        }
        for i in rows.order_by("-id")
    ]


def reaction_counts(*, message_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    rows = Reaction.objects.filter(message_id__in=message_ids).values("message_id", "emoji").annotate(n=Count("id"))
    for row in rows:
        counts.setdefault(row["message_id"], {})[row["emoji"]] = row["n"]
    return counts


# How many messages the `reactions` state carries: those whose counts moved most recently.
REACTIONS_STATE_MESSAGES = 200


def reactions_snapshot(room_id: int) -> dict | None:
    """The `reactions` state of `room:<id>`: `{messages: {"<message id>": {emoji: count}}, version}`
    for the messages whose reactions changed most recently (absolute counts: an emptied message
    has `{}`), or None while nobody ever reacted in the room."""
    version = Room.objects.filter(id=room_id).values_list("reactions_version", flat=True).first()
    if not version:
        return None
    ids = list(
        Message.objects.filter(room_id=room_id, reactions_version__gt=0)
        .order_by("-reactions_version")
        .values_list("id", flat=True)[:REACTIONS_STATE_MESSAGES]
    )
    counts = reaction_counts(message_ids=ids)
    return {"messages": {str(i): counts.get(i, {}) for i in ids}, "version": version}


def unread_counts(*, user, room_ids: list[int]) -> dict[int, dict]:
    """Per room: the caller's read marker and how many messages by others came after it."""
    if user is None or not user.is_authenticated or not room_ids:
        return {}
    room_ids = list(Membership.objects.filter(user=user, room_id__in=room_ids).values_list("room_id", flat=True))
    markers = dict(ReadMarker.objects.filter(user=user, room_id__in=room_ids).values_list("room_id", "seq"))
    result = {}
    for room_id in room_ids:
        read_seq = markers.get(room_id, 0)
        unread = (
            Message.objects.filter(room_id=room_id, seq__gt=read_seq, deleted_at__isnull=True, hidden_at__isnull=True)
            .exclude(author=user)
            .count()
        )
        result[room_id] = {"read_seq": read_seq, "unread": unread}
    return result


def message_in_room_readable(*, message_id: int, user) -> Message:
    """A message that is neither deleted nor hidden, in a room `user` may read; else `not_found`,
    the same answer as for a message that does not exist."""
    message = Message.objects.select_related("room", "author").filter(id=message_id).first()
    missing = AppError("not_found", f"message {message_id} does not exist")
    if message is None or message.deleted_at is not None or message.hidden_at is not None:
        raise missing
    try:
        room_get_readable(room_id=message.room_id, user=user)
    except AppError:
        raise missing from None
    return message


def message_by_id(message_id: int) -> Message | None:
    """The message whatever its state, for the room's moderation queue (its text while hidden)."""
    return Message.objects.select_related("author").filter(id=message_id).first()


def room_moderators(room_id: int) -> list:
    """The room's owners and moderators (users)."""
    memberships = Membership.objects.filter(room_id=room_id, role__in=(Membership.OWNER, Membership.MODERATOR))
    return [m.user for m in memberships.select_related("user")]
