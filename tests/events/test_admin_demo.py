"""The admin pages of events render; the demo loader is idempotent and goes through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from events.models import Event, Rsvp

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent(communes):
    from discussions.demo import demo_load as rooms_demo_load
    from events.demo import demo_load

    rooms_demo_load()
    assert demo_load()
    assert demo_load() == ""
    assert set(Event.objects.values_list("commune_id", flat=True)) == {"97411", "97416"}
    meeting = Event.objects.get(commune_id="97411")
    assert (meeting.going_count, meeting.interested_count) == (1, 1)
    assert Event.objects.filter(parent__isnull=False).count() == 1
    assert all(event.room_id for event in Event.objects.all())


def test_admin_pages_render(make_user, make_event):
    admin = make_user("admin", is_staff=True, is_superuser=True)
    event = make_event(capacity=3)
    from events.services import rsvp_set

    rsvp_set(user=make_user(), event_id=event.id, status="going")
    client = Client()
    client.force_login(admin)
    for path in (
        "/admin/events/event/",
        f"/admin/events/event/{event.id}/change/",
        "/admin/events/rsvp/",
        f"/admin/events/rsvp/{Rsvp.objects.get().id}/change/",
    ):
        assert client.get(path).status_code == 200, path
