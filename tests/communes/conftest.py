"""Commune tests reuse the events and proposals factories."""

from tests.events.conftest import make_event  # noqa: F401
from tests.proposals.conftest import commune, make_proposal, other_commune  # noqa: F401
