"""Sequenced events, the writer half: append inside the writer's transaction, publish after commit.

Reads (heads, events after a seq) live in `realtime.event_log`, which the fan-out uses.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from realtime import fanout
from realtime.batching import batch_create, next_seq
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


def topic_event_append(
    *, topic: str, kind: str, data: dict, seq: int | None = None, at=None, bulk: bool = False
) -> TopicEvent:
    """Store the event under `seq` (taken with topic_seq_take in this transaction) or the
    topic's next seq, and publish it once the transaction commits, so nobody ever sees an
    event that was rolled back.

    `bulk`: inside a group-commit batch the row joins the batch's one INSERT of events
    (realtime.batching.batch_create; its pk stays unset), for an event that neither this write
    nor the next writes of its command read back (a post)."""
    if not connection.in_atomic_block:
        raise RuntimeError("topic_event_append must run inside transaction.atomic")
    if seq is None:
        seq = topic_seq_take(topic)
    fields = {"topic": topic, "seq": seq, "kind": kind, "data": data, "at": at or timezone.now()}
    fields["about"] = event_about(topic, kind, data)
    event = batch_create(TopicEvent, **fields) if bulk else TopicEvent.objects.create(**fields)
    frame = event_frame(topic=topic, seq=seq, kind=kind, data=data, at=event.at)
    transaction.on_commit(lambda: fanout.publish_event(topic, seq, frame))
    return event
