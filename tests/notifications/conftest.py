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
        fields.setdefault("title", "Fèt kartié")
        return event_create(creator=organiser, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), **fields)

    return make
