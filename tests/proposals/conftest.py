"""Factories for proposals tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def commune(db):
    from communes.models import Commune

    return Commune.objects.create(insee="97411", name="Saint-Denis", postal_codes=["97400"], department="974")


@pytest.fixture
def other_commune(db):
    from communes.models import Commune

    return Commune.objects.create(insee="97416", name="Saint-Pierre", postal_codes=["97410"], department="974")


@pytest.fixture
def make_proposal(db, make_user, make_room):
    """`make_proposal(author=None, room=None, **fields)`: a proposal in a (new) public room, open for voting."""
    from proposals.services import proposal_create

    def make(author=None, room=None, **fields):
        author = author or make_user()
        if room is None and "event_id" not in fields and "commune_insee" not in fields:
            room = make_room(author)
        fields.setdefault("title", "Des pistes cyclables")
        fields.setdefault("body", "Aménager le Barachois.")
        return proposal_create(author=author, room_id=room.id if room else None, **fields)

    return make


def soon(seconds: float = 3600):
    return timezone.now() + timedelta(seconds=seconds)
