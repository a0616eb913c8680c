"""Factories for outcomes tests: a proposal whose vote has closed."""

from __future__ import annotations

import pytest

from tests.proposals.conftest import commune, make_proposal, proposal_make  # noqa: F401  (fixtures)


@pytest.fixture
def decided(make_user, make_room, make_proposal, commune):  # noqa: F811
    """`decided(room=None, **fields)`: a proposal in a public room of Saint-Denis, voted and closed."""
    from proposals.services import proposal_close_now, vote_cast

    def make(author=None, room=None, **fields):
        author = author or make_user()
        room = room or make_room(author, commune=commune)
        proposal = make_proposal(author=author, room=room, **fields)
        vote_cast(user=author, proposal_id=proposal.id, choice="up")
        proposal_close_now(user=author, proposal_id=proposal.id)
        proposal.refresh_from_db()
        return proposal

    return make
