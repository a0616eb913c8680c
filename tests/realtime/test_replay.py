"""Replay reads (realtime.replay): the subscribes that resume at the same time share one head
read and one range read per topic, and each still gets at most one page at a time."""

from __future__ import annotations

import asyncio

import pytest
from django.db import transaction

from realtime.event_log import topic_events_after
from realtime.replay import ReplayReads, _read
from realtime.sequencing import topic_event_append
from tests.threads import db_thread

# These tests append made-up events (kind "k"): not checked against the event schemas.
pytestmark = pytest.mark.synthetic_events


def append(topic: str, n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            topic_event_append(topic=topic, kind="k", data={"n": i})


@pytest.mark.django_db(transaction=True)
async def test_concurrent_resumes_share_one_read_and_each_gets_its_own_page(settings):
    settings.REALTIME_REPLAY_PAGE = 7
    await db_thread(append, "room:5", 30)
    everything = await db_thread(topic_events_after, "room:5", 0)
    reads = ReplayReads()
    afters = [0, 3, 10, 10, 25, 29, 30, 12] * 5
    heads, pages = await asyncio.gather(
        asyncio.gather(*(reads.head("room:5") for _ in range(20))),
        asyncio.gather(*(reads.page("room:5", after, 30) for after in afters)),
    )
    assert heads == [30] * 20
    assert reads.requests == 20 + len(afters)
    assert reads.reads == 1  # one read for all of them: the path this test claims
    for after, page in zip(afters, pages, strict=True):
        assert page == [f for f in everything if f[0] > after][:7]


@pytest.mark.django_db(transaction=True)
async def test_a_whole_replay_page_by_page_and_requests_during_a_read_share_the_next(settings):
    settings.REALTIME_REPLAY_PAGE = 2
    await db_thread(append, "room:6", 5)
    reads = ReplayReads()
    first = asyncio.ensure_future(reads.page("room:6", 0, 4))
    await asyncio.sleep(0)  # one loop turn: the first request starts its read, the next ones queue
    later = await asyncio.gather(*(reads.page("room:6", after, 5) for after in (2, 3, 4)))
    assert [f[0] for f in await first] == [1, 2]
    assert [[f[0] for f in page] for page in later] == [[3, 4], [4, 5], [5]]
    assert reads.reads == 2 and reads.requests == 4
    # A replay up to a head: pages until it, never past it.
    got, after = [], 0
    while after < 4:
        page = await reads.page("room:6", after, 4)
        got += [f[0] for f in page]
        after = page[-1][0]
    assert got == [1, 2, 3, 4]


@pytest.mark.django_db
def test_one_range_read_from_the_lowest_after_bounded_by_a_page_past_the_highest(settings):
    settings.REALTIME_REPLAY_PAGE = 3
    append("room:8", 20)
    assert _read("room:8", [(None, 0)]) == (20, [])
    head, frames = _read("room:8", [(2, 20), (5, 20), (None, 0)])
    assert head == 20 and [f[0] for f in frames] == [3, 4, 5, 6, 7, 8]
    assert _read("room:8", [(20, 20)]) == (None, [])
