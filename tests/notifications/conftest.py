from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def make_event(db, make_user):
    """Through the input model, as over HTTP (the same factory as tests/events)."""
    from events.inputs import EventIn
    from events.models import Event
    from events.services import event_create
    from realtime.schemas import input_parse

    def make(organiser=None, **fields):
        organiser = organiser or make_user()
        starts_at = fields.pop("starts_at", timezone.now() + timedelta(days=7))
        fields.setdefault("title", "Fèt kartié")
        event = input_parse(EventIn, {"starts_at": starts_at, "ends_at": starts_at + timedelta(hours=2), **fields})
        return Event.objects.get(id=event_create(creator=organiser, event=event)["id"])

    return make
