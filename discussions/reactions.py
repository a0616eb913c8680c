"""Reactions from a small fixed set of emoji, and each person's read marker per room."""

from __future__ import annotations

from django.db.models import F

from discussions.models import Message, Reaction, ReadMarker, Room
from discussions.selectors import room_get_readable, room_writer_check
from realtime.errors import AppError
from realtime.state import topic_state_changed
from realtime.writes import user_write

EMOJI = ("👍", "❤️", "😂", "🎉", "😮", "🙏")


@user_write("react", signed_out="sign in to react")
def reaction_set(*, user, room_id: int, message_id: int, emoji: str, on: bool = True, ref: str | None = None) -> dict:
    """Add or take back one's `emoji` on a message (one per person per emoji).

    No event per click: a change bumps the room's `reactions_version` (the room row's lock
    orders concurrent clicks) and marks the room's `reactions` state changed, which the
    fan-out sends coalesced, latest wins, exact once a burst ends. The answer carries the
    message's new count of that emoji."""
    if emoji not in EMOJI:
        raise AppError("bad_request", f"emoji must be one of {' '.join(EMOJI)}")
    room = room_get_readable(room_id=room_id, user=user)
    room_writer_check(room=room, user=user)  # muted: reads, does not react
    message = Message.objects.filter(id=message_id, room=room, deleted_at__isnull=True, hidden_at__isnull=True).first()
    if message is None:
        raise AppError("not_found", f"message {message_id} is not in this room")
    if on:
        changed = Reaction.objects.get_or_create(message=message, user=user, emoji=emoji)[1]
    else:
        changed = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()[0] > 0
    if changed:
        reactions_changed(room_id=room.id, message_ids=[message.id])
    count = Reaction.objects.filter(message=message, emoji=emoji).count()
    version = Room.objects.filter(id=room.id).values_list("reactions_version", flat=True).get()
    return {"message": message.id, "emoji": emoji, "count": count, "version": version}


def reactions_changed(*, room_id: int, message_ids: list[int]) -> None:
    """Bump the room's `reactions` state (in the caller's transaction; published on commit)."""
    Room.objects.filter(id=room_id).update(reactions_version=F("reactions_version") + 1)
    version = Room.objects.filter(id=room_id).values_list("reactions_version", flat=True).get()
    Message.objects.filter(id__in=message_ids).update(reactions_version=version)
    topic_state_changed(f"room:{room_id}")


@user_write("read")
def read_marker_set(*, user, room_id: int, seq: int, ref: str | None = None) -> dict:
    """Advance the caller's read marker in a room they may read (it never moves back)."""
    if seq < 0:
        raise AppError("bad_request", "seq must be >= 0")
    room = room_get_readable(room_id=room_id, user=user)
    marker, _ = ReadMarker.objects.select_for_update().get_or_create(room=room, user=user)
    if seq > marker.seq:
        marker.seq = seq
        marker.save(update_fields=["seq"])
    return {"room": room.id, "read_seq": marker.seq}
