"""What the debate write services share: the locked debate row, topic names, publishing."""

from __future__ import annotations

from django.db import connection
from django.db.models import F

from debates.models import Debate
from discussions.selectors import room_get_readable_for_write
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed


def questions_topic(room_id: int) -> str:
    return f"debate:{room_id}"


def floor_topic(room_id: int) -> str:
    return f"floor:{room_id}"


def moderation_topic(room_id: int) -> str:
    return f"moderation:{room_id}"


def signed_in_required(user) -> None:
    if user is None or not user.is_authenticated:
        raise AppError("auth_required", "sign in to take part in the debate")


def debate_locked(*, room_id: int, user) -> Debate:
    """The room's debate row, locked until commit: every debate write of a room queues here,
    so counts, arrival numbers and versions move together. Call inside transaction.atomic.
    In a group-commit batch the room and its sanctions are read once for the batch's writes
    of one command (`room_get_readable_for_write`); the row itself is read for each write."""
    signed_in_required(user)
    room = room_get_readable_for_write(room_id=room_id, user=user)
    debate = debate_row_locked(room)
    if debate is None:  # created on first use: every room may run a debate
        Debate.objects.get_or_create(room=room)
        debate = debate_row_locked(room)
    return debate


def debate_row_locked(room) -> Debate | None:
    """The room's debate row, locked until commit (FOR UPDATE where the database has it; on
    SQLite the batch holds the file's one writer), or None. One plain statement: through the
    ORM (get_or_create, then select_for_update) the same row cost a raise of a hand about 1 ms
    of the single SQLite writer's time, with the room read beside it."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    table = Debate._meta.db_table
    debate = next(iter(Debate.objects.raw(f"SELECT * FROM {table} WHERE room_id = %s{lock}", [room.id])), None)
    if debate is not None:
        debate.room = room
    return debate


def questions_changed(debate: Debate) -> None:
    """Bump the questions version (row locked) and refresh both audiences' `questions` state."""
    debate.questions_version += 1
    debate.save(update_fields=["questions_version"])
    _questions_states_refresh(debate.room_id)


def questions_changed_by_id(debate: Debate) -> None:
    """`questions_changed` without saving the whole row: for a bump deferred to the end of a batch,
    when the `debate` object in hand may be older than the row (its version moved meanwhile)."""
    Debate.objects.filter(id=debate.id).update(questions_version=F("questions_version") + 1)
    _questions_states_refresh(debate.room_id)


def _questions_states_refresh(room_id: int) -> None:
    """Both audiences' `questions` state: the participants' and the moderators'."""
    topic_state_changed(questions_topic(room_id))
    topic_state_changed(moderation_topic(room_id))


def queue_changed(debate: Debate, *, also: tuple[str, ...] = ()) -> None:
    """Bump the queue version (row locked; saved with the fields named in `also`) and refresh
    the floor's `queue` state."""
    debate.queue_version += 1
    debate.save(update_fields=["queue_version", *also])
    topic_state_changed(floor_topic(debate.room_id))


def publish(*, topic: str, kind: str, data: dict) -> int:
    return topic_event_append(topic=topic, kind=kind, data=data).seq
