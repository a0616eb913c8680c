"""Reading a topic's sequenced events: heads and the events after a seq (replay, gap repair, sweep).

The reader half of sequencing: it imports nothing of the fan-out, which reads through it.
"""

from __future__ import annotations

from realtime.frames import event_frame
from realtime.models import Topic, TopicEvent


def topic_head(topic: str) -> int:
    return Topic.objects.filter(name=topic).values_list("head", flat=True).first() or 0


def topic_heads(topics: list[str]) -> dict[str, int]:
    return dict(Topic.objects.filter(name__in=topics).values_list("name", "head"))


def topic_events_after(
    topic: str, after_seq: int, *, up_to: int | None = None, limit: int | None = None
) -> list[tuple[int, str]]:
    """(seq, serialised frame) of the events with seq > after_seq (and <= up_to), in seq order."""
    rows = TopicEvent.objects.filter(topic=topic, seq__gt=after_seq)
    if up_to is not None:
        rows = rows.filter(seq__lte=up_to)
    rows = rows.order_by("seq").values_list("seq", "kind", "data", "at")
    if limit is not None:
        rows = rows[:limit]
    return [(seq, event_frame(topic=topic, seq=seq, kind=kind, data=data, at=at)) for seq, kind, data, at in rows]
