"""Latest-wins `state` snapshots (tally, attendance): marked dirty by writers, computed coalesced.

A writer calls `topic_state_changed(topic)` inside its transaction; after commit the hub of
that process recomputes the snapshot at most once per REALTIME_STATE_INTERVAL per topic
and fans the frame out. Receiving hubs coalesce again per socket, so the number of frames a
watcher gets is bounded whatever the write rate, and the last one is exact.
"""

from __future__ import annotations

from django.db import transaction

from realtime import fanout
from realtime.frames import state_frame
from realtime.topics import topic_parse


def topic_state_changed(topic: str) -> None:
    """Schedule a fresh snapshot of `topic` once the current transaction commits."""
    transaction.on_commit(lambda: fanout.publish_state_dirty(topic))


def topic_state_compute(topic: str) -> tuple[str, int, str] | None:
    """(state kind, version, serialised frame) read from the database, or None."""
    kind, object_id = topic_parse(topic)
    if kind.state_kind is None:
        return None
    data = kind.state_snapshot(object_id)
    if data is None:
        return None
    return kind.state_kind, int(data["version"]), state_frame(topic=topic, kind=kind.state_kind, data=data)
