"""Replay reads: the subscriptions that resume at the same time share one read per topic."""

from __future__ import annotations

import asyncio

import pytest
from django.db import transaction

from realtime.event_log import topic_events_after
from realtime.replay import ReplayReads, replay_range
from realtime.sequencing import topic_event_append

# These tests append made-up events (kind "k"): not checked against the event schemas.
pytestmark = pytest.mark.synthetic_events


def append(topic: str, n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            topic_event_append(topic=topic, kind="k", data={"n": i})


@pytest.mark.django_db(transaction=True)
async def test_concurrent_resumes_share_one_read_and_each_gets_its_slice(settings):
    settings.REALTIME_REPLAY_LIMIT = 20
    await asyncio.to_thread(append, "room:5", 30)
    reads = ReplayReads()
    sinces = [None, 0, 3, 10, 10, 29, 30, 31, 12, 25] * 5
    results = await asyncio.gather(*(reads.read("room:5", s) for s in sinces))
    assert reads.requests == len(sinces)
    assert reads.reads == 1  # one read for all of them: the path this test claims
    everything = await asyncio.to_thread(topic_events_after, "room:5", 0)
    for since, (head, frames, reset) in zip(sinces, results, strict=True):
        assert head == 30
        if since is None:
            assert (frames, reset) == ([], False)
        elif since > 30 or 30 - since > 20:  # ahead of the head, or beyond the replay limit
            assert (frames, reset) == ([], True)
        else:
            assert reset is False
            assert frames == [f for f in everything if f[0] > since]


@pytest.mark.django_db(transaction=True)
async def test_requests_arriving_during_a_read_share_the_next_one():
    await asyncio.to_thread(append, "room:6", 5)
    reads = ReplayReads()
    first = asyncio.ensure_future(reads.read("room:6", 1))
    await asyncio.sleep(0)  # one loop turn: the first request starts its read (FIFO), the next ones queue
    later = await asyncio.gather(*(reads.read("room:6", s) for s in (2, 3, 4)))
    head, frames, _ = await first
    assert [f[0] for f in frames] == [2, 3, 4, 5]
    assert [[f[0] for f in r[1]] for r in later] == [[3, 4, 5], [4, 5], [5]]
    assert reads.reads == 2 and reads.requests == 4


@pytest.mark.django_db
def test_a_range_is_read_from_the_lowest_usable_since_only():
    append("room:8", 4)
    assert replay_range("room:8", [None]) == (4, [])
    head, frames = replay_range("room:8", [3, 1, 99])
    assert head == 4 and [f[0] for f in frames] == [2, 3, 4]
