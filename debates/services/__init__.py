"""Writes on debates. Each locks the room's `Debate` row first, then appends to topics
(debate, then moderation, then floor): one lock order, so writers never deadlock."""

from debates.services.floor import (
    debate_configure,
    floor_end,
    floor_give,
    floor_next,
    hand_lower,
    hand_raise,
    turn_end_due,
)
from debates.services.questions import (
    QUESTION_MAX,
    question_ask,
    question_moderate,
    question_reported_hide,
    question_reported_remove,
    question_reported_restore,
    question_unvote,
    question_upvote,
    question_visible_readable,
)
from debates.services.votes import debate_vote_open

__all__ = [
    "QUESTION_MAX",
    "debate_configure",
    "debate_vote_open",
    "floor_end",
    "floor_give",
    "floor_next",
    "hand_lower",
    "hand_raise",
    "question_ask",
    "question_moderate",
    "question_reported_hide",
    "question_reported_remove",
    "question_reported_restore",
    "question_unvote",
    "question_upvote",
    "question_visible_readable",
    "turn_end_due",
]
