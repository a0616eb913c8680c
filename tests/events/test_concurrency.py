"""Capacity with real concurrent transactions (threads, one connection each), without sockets: fast feedback."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from events import services
from events.models import Rsvp
from events.selectors import attendance_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def _concurrently(calls: list) -> list:
    """Run every call in its own thread, all released together; each thread closes its connection."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_rsvps_never_overbook_and_declines_promote_in_order(make_user, make_event):
    event = make_event(capacity=10)
    people = [make_user() for _ in range(40)]
    results = _concurrently(
        [lambda user=user: services.rsvp_set(user=user, event_id=event.id, status="going") for user in people]
    )
    assert [r["status"] for r in results].count("going") == 10
    assert sorted(r["waitlist_position"] for r in results if r["status"] == "waitlisted") == list(range(1, 31))
    waitlist = list(
        Rsvp.objects.filter(event=event, status="waitlisted").order_by("arrival").values_list("user_id", flat=True)
    )
    assert list(
        Rsvp.objects.filter(event=event, status="going").order_by("arrival").values_list("arrival", flat=True)
    ) == list(range(1, 11))

    leaving = [r.user for r in Rsvp.objects.filter(event=event, status="going").select_related("user")[:5]]
    _concurrently(
        [lambda user=user: services.rsvp_set(user=user, event_id=event.id, status="declined") for user in leaving]
    )
    going = set(Rsvp.objects.filter(event=event, status="going").values_list("user_id", flat=True))
    assert len(going) == 10 and set(waitlist[:5]) <= going and not set(waitlist[5:]) & going
    snapshot = attendance_snapshot(event.id)
    assert (snapshot["going"], snapshot["waitlisted"], snapshot["seats_left"]) == (10, 25, 0)
