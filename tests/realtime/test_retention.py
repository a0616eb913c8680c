"""Retention keeps what the protocol promises: each topic's newest 1,000 events stay replayable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from realtime.consumers import replay_reset
from realtime.event_log import topic_events_after, topic_head
from realtime.models import Topic, TopicEvent
from realtime.retention import events_purge
from realtime.scheduler import scheduler_jobs, scheduler_tick

# The events here are made up (kind and data are not a real message's).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.synthetic_events]


def topic_fill(name: str, count: int, *, age: timedelta) -> None:
    at = timezone.now() - age
    Topic.objects.create(name=name, head=count)
    TopicEvent.objects.bulk_create(
        TopicEvent(topic=name, seq=seq, kind="message.posted", data={"id": seq}, at=at) for seq in range(1, count + 1)
    )


def seqs(topic: str) -> list[int]:
    return list(TopicEvent.objects.filter(topic=topic).order_by("seq").values_list("seq", flat=True))


def test_old_events_go_except_the_newest_thousand_of_each_topic(settings):
    settings.REALTIME_EVENT_RETENTION_DAYS = 7
    settings.REALTIME_REPLAY_LIMIT = 1000
    topic_fill("room:1", 1500, age=timedelta(days=30))
    topic_fill("room:2", 300, age=timedelta(days=30))
    topic_fill("room:3", 1500, age=timedelta(days=1))

    assert events_purge() == 500
    assert seqs("room:1") == list(range(501, 1501))
    assert seqs("room:2") == list(range(1, 301))  # under the floor: all kept however old
    assert seqs("room:3") == list(range(1, 1501))  # recent: all kept
    # A client resuming within the promised window gets every event; beyond it, reset as before.
    head = topic_head("room:1")
    frames = topic_events_after("room:1", 500, up_to=head)
    assert (head, replay_reset(500, head), [seq for seq, _ in frames]) == (1500, False, list(range(501, 1501)))
    assert replay_reset(499, head) is True
    assert events_purge() == 0


def test_retention_never_keeps_fewer_than_the_protocol_floor(settings):
    settings.REALTIME_EVENT_RETENTION_DAYS = 1
    settings.REALTIME_REPLAY_LIMIT = 10  # a smaller replay setting does not shrink what is kept
    topic_fill("room:9", 1200, age=timedelta(days=3))
    assert events_purge() == 200
    assert seqs("room:9")[0] == 201


def test_retention_off_keeps_everything(settings):
    settings.REALTIME_EVENT_RETENTION_DAYS = 0
    topic_fill("room:4", 1100, age=timedelta(days=400))
    assert events_purge() == 0 and len(seqs("room:4")) == 1100


def test_scheduler_runs_an_hourly_job_once_per_hour(settings, monkeypatch):
    runs = []
    settings.SCHEDULER_JOBS = ["realtime.retention:retention_apply"]
    settings.SCHEDULER_JOB_INTERVALS = {"realtime.retention:retention_apply": 3600.0}
    scheduler_jobs.cache_clear()
    monkeypatch.setattr(scheduler_jobs()[0], "function", lambda: runs.append(1))
    try:
        for _ in range(3):
            scheduler_tick()
    finally:
        scheduler_jobs.cache_clear()
    assert runs == [1]
