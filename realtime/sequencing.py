"""Sequenced events, the writer half: append inside the writer's transaction, publish after commit.

Reads (heads, events after a seq) live in `realtime.event_log`, which the fan-out uses.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from realtime import fanout
from realtime.batching import next_seq
from realtime.frames import event_frame
from realtime.models import TopicEvent
from realtime.registry import event_about


def topic_seq_take(topic: str) -> int:
    """The topic's next seq, taken in the caller's transaction.

    The upsert behind `next_seq` locks the topic row until commit, so concurrent writers to
    one topic queue there and seqs commit in order with no gap (a group-committed batch takes
    its seqs from one upsert, see realtime.batching). Take it first when the row the event
    describes needs its seq (a message), then append the event with it.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("topic_seq_take must run inside transaction.atomic")
    return next_seq(topic)


def topic_event_append(*, topic: str, kind: str, data: dict, seq: int | None = None, at=None) -> TopicEvent:
    """Store the event under `seq` (taken with topic_seq_take in this transaction) or the
    topic's next seq, and publish it once the transaction commits, so nobody ever sees an
    event that was rolled back."""
    if not connection.in_atomic_block:
        raise RuntimeError("topic_event_append must run inside transaction.atomic")
    if seq is None:
        seq = topic_seq_take(topic)
    event = TopicEvent.objects.create(
        topic=topic, seq=seq, kind=kind, data=data, at=at or timezone.now(), about=event_about(topic, kind, data)
    )
    frame = event_frame(topic=topic, seq=seq, kind=kind, data=data, at=event.at)
    transaction.on_commit(lambda: fanout.publish_event(topic, seq, frame))
    return event
