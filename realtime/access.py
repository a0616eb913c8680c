"""Access changes: live subscriptions are authorised again whenever who-may-read changes.

A service that changes who may follow a topic (a room turns private, a member is removed,
an event turns invite-only, an invitation is withdrawn) calls `topic_access_changed(topic)`
inside its transaction. On commit the hub of every process (through Redis when set) runs
the topic kind's `authorize_read` again for each socket it serves on that topic, and ends
the lost ones with `unsubscribed` carrying `code: forbidden`.

Access also flows down: the topics whose readers are decided by the changed one's (a room's
proposals and debate topics, an event's proposals) are re-checked with it; each topic kind
names them (`TopicKind.access_follows`), so the service that changed the room need not know
which apps build on rooms.
"""

from __future__ import annotations

from django.db import transaction

from realtime import fanout
from realtime.topics import topic_kinds


def topic_access_changed(topic: str) -> None:
    """Have every process re-check its live subscriptions to `topic`, and to the topics whose
    access follows it, once this transaction commits."""
    for changed in access_dependents(topic):
        transaction.on_commit(lambda changed=changed: fanout.publish_access_changed(changed))


def access_dependents(topic: str) -> list[str]:
    """`topic` and every topic whose access follows it, directly or through another, once each."""
    found = [topic]
    seen = {topic}
    for changed in found:  # grows while it is walked: breadth first
        for kind in topic_kinds().values():
            for dependent in kind.access_follows(changed):
                if dependent not in seen:
                    seen.add(dependent)
                    found.append(dependent)
    return found
