"""Factories for events: an upcoming event organised by a fresh user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def make_event(db, make_user):
    from events.services import event_create

    def make(organiser=None, **fields):
        organiser = organiser or make_user()
        starts_at = fields.pop("starts_at", timezone.now() + timedelta(days=7))
        ends_at = fields.pop("ends_at", starts_at + timedelta(hours=2))
        fields.setdefault("title", "Conseil de quartier")
        return event_create(creator=organiser, starts_at=starts_at, ends_at=ends_at, **fields)

    return make


@pytest.fixture
def communes(db):
    from communes.demo import demo_load

    demo_load()
