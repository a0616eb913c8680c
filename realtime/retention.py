"""Retention, applied by the scheduler: old replay events.

Events: TopicEvent rows serve replay only (each domain keeps its own rows: messages, votes…).
Older than REALTIME_EVENT_RETENTION_DAYS they go, except the newest REALTIME_REPLAY_LIMIT (at
least 1,000, PROTOCOL.md §4) of every topic, so a client resuming with `since` within that window
still gets every event; further back it gets `reset: true`, as it would anyway.

Idempotency receipts are purged by realtime.idempotency.receipts_purge (IDEMPOTENCY_TTL_SECONDS,
never under the protocol's 24 h). Presence hashes in Redis expire on their own once no process
refreshes them (realtime/fanout/presence.py); typing frames are never stored.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from realtime.models import Topic, TopicEvent

log = logging.getLogger(__name__)

PROTOCOL_REPLAY_FLOOR = 1000
BATCH = 5000


def events_kept_per_topic() -> int:
    return max(PROTOCOL_REPLAY_FLOOR, settings.REALTIME_REPLAY_LIMIT)


def events_purge() -> int:
    """Delete replay events older than the retention period beyond each topic's newest window."""
    days = settings.REALTIME_EVENT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    head = Subquery(Topic.objects.filter(name=OuterRef("topic")).values("head")[:1])
    expired = TopicEvent.objects.annotate(head=head).filter(at__lt=cutoff, seq__lte=F("head") - events_kept_per_topic())
    deleted = 0
    while True:
        # In batches: a long delete would hold locks that writers of those topics wait on.
        ids = list(expired.values_list("id", flat=True)[:BATCH])
        if not ids:
            break
        deleted += TopicEvent.objects.filter(id__in=ids).delete()[0]
    if deleted:
        log.info("retention: %s old events deleted", deleted, extra={"deleted": deleted})
    return deleted


def retention_apply() -> None:
    """Scheduler job (every REALTIME_RETENTION_INTERVAL seconds)."""
    events_purge()
