"""Latest-wins `state` snapshots (tally, attendance), the writer half: mark dirty, publish on commit.

A writer calls `topic_state_changed(topic)` inside its transaction; after commit the hub of
that process recomputes the snapshot (`realtime.state_snapshot`) at most once per
REALTIME_STATE_INTERVAL per topic and fans the frame out. Receiving hubs coalesce again per
socket, so the number of frames a watcher gets is bounded whatever the write rate, and the
last one is exact.
"""

from __future__ import annotations

from django.db import transaction

from realtime import fanout
from realtime.batching import batch_before_commit


def topic_state_changed(topic: str) -> None:
    """Schedule a fresh snapshot of `topic` once the current transaction commits (once per
    group-commit batch, however many of its writes change the topic)."""
    batch_before_commit(("state", topic), lambda: transaction.on_commit(lambda: fanout.publish_state_dirty(topic)))
