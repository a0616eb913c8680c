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


def topic_event_append(*, topic: str, kind: str, data: dict) -> TopicEvent:
    """Give the event the topic's next seq and store it, in the caller's transaction.

    The upsert behind `next_seq` locks the topic row until commit, so concurrent writers to
    one topic queue there and seqs commit in order with no gap (a group-committed batch takes
    its seqs from one upsert, see realtime.batching). Fan-out happens on commit only, so nobody
    ever sees an event that was rolled back.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("topic_event_append must run inside transaction.atomic")
    seq = next_seq(topic)
    event = TopicEvent.objects.create(topic=topic, seq=seq, kind=kind, data=data, at=timezone.now())
    # Serialised at commit, so a caller may still complete `event.data` (e.g. with a new row's id).
    transaction.on_commit(
        lambda: fanout.publish_event(
            topic, seq, event_frame(topic=topic, seq=seq, kind=kind, data=event.data, at=event.at)
        )
    )
    return event
