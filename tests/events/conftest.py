"""Factories for events: an upcoming event organised by a fresh user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def make_event(db, make_user):
    from events.inputs import EventIn
    from events.models import Event
    from events.services import event_create
    from realtime.schemas import input_parse

    def make(organiser=None, **fields):
        """Through the input model, as over HTTP: bad fields are `bad_request` AppErrors."""
        organiser = organiser or make_user()
        starts_at = fields.pop("starts_at", timezone.now() + timedelta(days=7))
        ends_at = fields.pop("ends_at") if "ends_at" in fields else starts_at + timedelta(hours=2)
        fields.setdefault("title", "Conseil de quartier")
        event = input_parse(EventIn, {"starts_at": starts_at, "ends_at": ends_at, **fields})
        created = Event.objects.get(id=event_create(creator=organiser, event=event)["id"])
        created.created_by = organiser  # the factory's user, with its API token
        return created

    return make


@pytest.fixture
def patch():
    """`patch(**changes)` -> the EventPatch an HTTP PATCH would carry (bad fields: `bad_request`)."""
    from events.inputs import EventPatch
    from realtime.schemas import input_parse

    return lambda **changes: input_parse(EventPatch, changes)


@pytest.fixture
def communes(db):
    from communes.demo import demo_load

    demo_load()
