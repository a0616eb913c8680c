"""Access changes: live subscriptions are authorised again whenever who-may-read changes.

A service that changes who may follow a topic (a room turns private, a member is removed,
an event turns invite-only, an invitation is withdrawn) calls `topic_access_changed(topic)`
inside its transaction. On commit the hub of every process (through Redis when set) runs
the topic kind's `authorize_read` again for each socket it serves on that topic, and ends
the lost ones with `unsubscribed` carrying `code: forbidden`.
"""

from __future__ import annotations

from django.db import transaction

from realtime import fanout


def topic_access_changed(topic: str) -> None:
    """Have every process re-check its live subscriptions to `topic` once this transaction commits."""
    transaction.on_commit(lambda: fanout.publish_access_changed(topic))
