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
    from proposals.models import Proposal

    def make(author=None, room=None, **fields):
        """Through the input model, as over HTTP: bad fields are `bad_request` AppErrors."""
        author = author or make_user()
        if room is None and "event" not in fields and "commune" not in fields:
            room = make_room(author)
        fields.setdefault("title", "Des pistes cyclables")
        fields.setdefault("body", "Aménager le Barachois.")
        created = proposal_make(author=author, room=room.id if room else None, **fields)
        proposal = Proposal.objects.get(id=created["id"])
        proposal.author = author  # the factory's user, with its API token
        return proposal

    return make


def proposal_make(*, author, **fields) -> dict:
    """`services.proposal_create` with `fields` validated by ProposalIn first (as the API does)."""
    from proposals.inputs import ProposalIn
    from proposals.services import proposal_create
    from realtime.schemas import input_parse

    return proposal_create(author=author, proposal=input_parse(ProposalIn, fields))


def soon(seconds: float = 3600):
    return timezone.now() + timedelta(seconds=seconds)
