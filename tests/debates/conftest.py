"""Factories for debate tests: a public room with its owner as moderator."""

from __future__ import annotations

import pytest


@pytest.fixture
def debate_room(db, make_user, make_room):
    """(room, moderator): a public room whose owner moderates its debate."""
    moderator = make_user("moderatrice")
    return make_room(moderator, name="Conseil de quartier"), moderator
