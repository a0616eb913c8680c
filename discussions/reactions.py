"""Reactions from a small fixed set of emoji, and each person's read marker per room."""

from __future__ import annotations

from discussions.models import Message, Reaction, ReadMarker
from discussions.selectors import room_get_readable
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.writes import user_write

EMOJI = ("👍", "❤️", "😂", "🎉", "😮", "🙏")


@user_write("react", signed_out="sign in to react")
def reaction_set(*, user, room_id: int, message_id: int, emoji: str, on: bool = True, ref: str | None = None) -> dict:
    """Add or take back one's `emoji` on a message (one per person per emoji); publishes
    `reaction.changed` with the message's new count of it."""
    if emoji not in EMOJI:
        raise AppError("bad_request", f"emoji must be one of {' '.join(EMOJI)}")
    room = room_get_readable(room_id=room_id, user=user, private_as="forbidden")
    message = Message.objects.filter(id=message_id, room=room, deleted_at__isnull=True).first()
    if message is None:
        raise AppError("not_found", f"message {message_id} is not in this room")
    if on:
        Reaction.objects.get_or_create(message=message, user=user, emoji=emoji)
    else:
        Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    count = Reaction.objects.filter(message=message, emoji=emoji).count()
    event = topic_event_append(
        topic=room.topic, kind="reaction.changed", data={"message": message.id, "emoji": emoji, "count": count}
    )
    return {"message": message.id, "emoji": emoji, "count": count, "seq": event.seq}


@user_write("read")
def read_marker_set(*, user, room_id: int, seq: int, ref: str | None = None) -> dict:
    """Advance the caller's read marker in a room they may read (it never moves back)."""
    if seq < 0:
        raise AppError("bad_request", "seq must be >= 0")
    room = room_get_readable(room_id=room_id, user=user, private_as="forbidden")
    marker, _ = ReadMarker.objects.select_for_update().get_or_create(room=room, user=user)
    if seq > marker.seq:
        marker.seq = seq
        marker.save(update_fields=["seq"])
    return {"room": room.id, "read_seq": marker.seq}
