"""Scheduler job: end the turns that end themselves at their limit, once across processes."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from debates.selectors import turn_next_end, turns_due
from debates.services import turn_end_due


def turns_end() -> datetime | None:
    """Due turns are found by a plain indexed read; each is then claimed under its debate's lock.
    Returns when the next open turn ends itself (None: none), for the scheduler's next run."""
    now = timezone.now()
    for turn_id in turns_due(now):
        turn_end_due(turn_id=turn_id, now=now)
    return turn_next_end()
