"""Sequenced events: append inside the writer's transaction, publish after commit, read for replay."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from realtime import fanout
from realtime.frames import event_frame
from realtime.models import Topic, TopicEvent


def topic_seq_take(topic: str) -> int:
    """The topic's next seq, taken in the caller's transaction.

    The upsert locks the topic row until commit, so concurrent writers to one topic queue
    there and seqs commit in order with no gap. Take it first when the row the event
    describes needs its seq (a message), then append the event with it.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("topic_seq_take must run inside transaction.atomic")
    table = Topic._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, head) VALUES (%s, 1) "
            f"ON CONFLICT (name) DO UPDATE SET head = {table}.head + 1 RETURNING head",
            [topic],
        )
        (seq,) = cursor.fetchone()
    return seq


def topic_event_append(*, topic: str, kind: str, data: dict, seq: int | None = None, at=None) -> TopicEvent:
    """Store the event under `seq` (taken with topic_seq_take in this transaction) or the
    topic's next seq, and publish it once the transaction commits, so nobody ever sees an
    event that was rolled back."""
    if not connection.in_atomic_block:
        raise RuntimeError("topic_event_append must run inside transaction.atomic")
    if seq is None:
        seq = topic_seq_take(topic)
    event = TopicEvent.objects.create(topic=topic, seq=seq, kind=kind, data=data, at=at or timezone.now())
    frame = event_frame(topic=topic, seq=seq, kind=kind, data=data, at=event.at)
    transaction.on_commit(lambda: fanout.publish_event(topic, seq, frame))
    return event


def topic_head(topic: str) -> int:
    return Topic.objects.filter(name=topic).values_list("head", flat=True).first() or 0


def topic_heads(topics: list[str]) -> dict[str, int]:
    return dict(Topic.objects.filter(name__in=topics).values_list("name", "head"))


def topic_events_after(topic: str, after_seq: int, *, up_to: int | None = None, limit: int | None = None) -> list[str]:
    """Serialised frames of the events with seq > after_seq (and <= up_to), in seq order."""
    rows = TopicEvent.objects.filter(topic=topic, seq__gt=after_seq)
    if up_to is not None:
        rows = rows.filter(seq__lte=up_to)
    rows = rows.order_by("seq").values_list("seq", "kind", "data", "at")
    if limit is not None:
        rows = rows[:limit]
    return [(seq, event_frame(topic=topic, seq=seq, kind=kind, data=data, at=at)) for seq, kind, data, at in rows]
