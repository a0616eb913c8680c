"""Computing a topic's latest-wins `state` snapshot (tally, attendance) from the database.

The reader half of `realtime.state`: it imports nothing of the fan-out, which computes through it.
"""

from __future__ import annotations

from realtime.frames import state_frame
from realtime.topics import topic_parse


def topic_state_compute(topic: str) -> tuple[str, int, str] | None:
    """(state kind, version, serialised frame) read from the database, or None."""
    kind, object_id = topic_parse(topic)
    if kind.state_kind is None:
        return None
    data = kind.state_snapshot(object_id)
    if data is None:
        return None
    return kind.state_kind, int(data["version"]), state_frame(topic=topic, kind=kind.state_kind, data=data)
