"""The floor: raise and lower hands, give the floor (next or to someone waiting), end turns.

All of it runs under the debate row's lock, so two moderators pressing `next` at once give
the floor once: the second finds the queue as the first left it. Turns carry `started_at`
and `ends_at` from the server clock; clients correct their own clock with the `now` of
`subscribed` and `pong`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_by_username
from debates.models import Debate, Hand, Turn
from debates.selectors import hand_first, moderator_required, turn_as_dict, turn_open
from debates.services.common import debate_locked, floor_topic, publish, queue_changed
from discussions.selectors import room_writer_check
from realtime.errors import AppError
from realtime.writes import user_write

TURN_LIMIT_MAX = 3600
FAIRNESS = tuple(dict(Debate.FAIRNESS))


@user_write("raise_hand", actor="user", signed_out="sign in to take part in the debate")
def hand_raise(*, user, room_id: int, ref: str | None = None) -> dict:
    """Join the queue; a second raise is `conflict`. Returns {arrival}.

    The queue is state (`queue`, coalesced, its hands as a delta), not events: a raised or lowered
    hand was also an event once, the same change sent twice to every follower of the floor
    (in the debate benchmark, 5 hands a second: a quarter of a server's frames)."""

    debate = debate_locked(room_id=room_id, user=user)
    room_writer_check(room=debate.room, user=user)
    if Hand.objects.filter(debate=debate, user=user).exists():
        raise AppError("conflict", "your hand is already raised")
    if Turn.objects.filter(debate=debate, ended_at__isnull=True).values_list("user_id", flat=True).first() == user.id:
        raise AppError("conflict", "you have the floor")
    debate.arrivals += 1
    hand = Hand.objects.create(debate=debate, user=user, arrival=debate.arrivals, raised_at=timezone.now())
    queue_changed(debate, also=("arrivals",))  # one UPDATE of the row for both counters
    return {"arrival": hand.arrival}


@user_write("lower_hand", actor="user", signed_out="sign in to take part in the debate")
def hand_lower(*, user, room_id: int, username: str | None = None, ref: str | None = None) -> dict:
    """Leave the queue; a moderator may lower someone else's hand (`username`)."""

    debate = debate_locked(room_id=room_id, user=user)
    whose = user
    if username is not None and username != user.username:
        moderator_required(room=debate.room, user=user)
        whose = user_by_username(username)
    deleted = Hand.objects.filter(debate=debate, user=whose).delete()[0] if whose else 0
    if not deleted:
        raise AppError("conflict", "this hand is not raised")
    queue_changed(debate)
    return {"user": whose.username}


def _turn_close(debate: Debate, turn: Turn, *, now: datetime, by: str) -> dict:
    turn.ended_at = now
    turn.ended_by = by
    turn.seconds = max(0.0, (now - turn.started_at).total_seconds())
    turn.save(update_fields=["ended_at", "ended_by", "seconds"])
    data = {**turn_as_dict(turn), "ended_at": now.isoformat(), "by": by, "seconds": round(turn.seconds, 1)}
    publish(topic=floor_topic(debate.room_id), kind="floor.ended", data=data)
    return data


def _give(debate: Debate, hand: Hand, *, by) -> dict:
    now = timezone.now()
    current = turn_open(debate)
    if current is not None:
        _turn_close(debate, current, now=now, by=Turn.MODERATOR)
    ends_at = now + timedelta(seconds=debate.turn_limit) if debate.turn_limit else None
    turn = Turn.objects.create(
        debate=debate, user=hand.user, started_at=now, ends_at=ends_at, auto_end=bool(ends_at and debate.auto_end)
    )
    hand.delete()
    data = {**turn_as_dict(turn), "by": by.username}
    seq = publish(topic=floor_topic(debate.room_id), kind="floor.given", data=data)
    queue_changed(debate)
    return {**data, "seq": seq}


def _current_check(debate: Debate, current: int | None) -> None:
    """`current` is the turn the moderator saw (0: nobody had the floor). Two moderators pressing
    `next` on the same screen both send it; under the lock, the second finds the floor moved."""
    if current is None:
        return
    turn = turn_open(debate)
    if (turn.id if turn else 0) != current:
        raise AppError("conflict", "the floor has changed meanwhile; look again before giving it")


@user_write("floor_next", actor="user", signed_out="sign in to take part in the debate")
def floor_next(*, user, room_id: int, current: int | None = None, ref: str | None = None) -> dict:
    """A moderator gives the floor to the first in the queue (fairness order), ending any turn.
    `conflict` when nobody waits or when the floor is no longer at `current`. Publishes
    `floor.given`; returns the new turn."""

    debate = debate_locked(room_id=room_id, user=user)
    moderator_required(room=debate.room, user=user)
    _current_check(debate, current)
    hand = hand_first(debate)
    if hand is None:
        raise AppError("conflict", "nobody is waiting for the floor")
    return _give(debate, hand, by=user)


@user_write("floor_give", actor="user", signed_out="sign in to take part in the debate")
def floor_give(*, user, room_id: int, username: str, current: int | None = None, ref: str | None = None) -> dict:
    """A moderator gives the floor to someone in the queue (`not_found` if they are not waiting)."""

    debate = debate_locked(room_id=room_id, user=user)
    moderator_required(room=debate.room, user=user)
    _current_check(debate, current)
    hand = Hand.objects.select_related("user").filter(debate=debate, user__username=username).first()
    if hand is None:
        raise AppError("not_found", f"{username[:40]} is not in the queue")
    return _give(debate, hand, by=user)


@user_write("floor_end", actor="user", signed_out="sign in to take part in the debate")
def floor_end(*, user, room_id: int, ref: str | None = None) -> dict:
    """A moderator (or the speaker) ends the current turn; `conflict` when nobody has the floor."""

    debate = debate_locked(room_id=room_id, user=user)
    turn = turn_open(debate)
    if turn is None:
        raise AppError("conflict", "nobody has the floor")
    if turn.user_id != user.id:
        moderator_required(room=debate.room, user=user)
    data = _turn_close(debate, turn, now=timezone.now(), by=Turn.MODERATOR)
    queue_changed(debate)
    return data


def turn_end_due(*, turn_id: int, now: datetime | None = None) -> bool:
    """Scheduler: end a self-ending turn whose limit has come, exactly once across processes.
    The debate row is locked, then the turn re-read open and due under it: a second scheduler,
    or a moderator's `next` meanwhile, finds nothing to do."""
    now = now or timezone.now()
    with transaction.atomic():
        debate_id = Turn.objects.filter(id=turn_id).values_list("debate_id", flat=True).first()
        if debate_id is None:
            return False
        debate = Debate.objects.select_for_update().get(id=debate_id)
        turn = (
            Turn.objects.select_related("user")
            .filter(id=turn_id, ended_at__isnull=True, auto_end=True, ends_at__lte=now)
            .first()
        )
        if turn is None:
            return False
        _turn_close(debate, turn, now=now, by=Turn.LIMIT)
        queue_changed(debate)
    return True


@user_write("debate_configure", actor="user", signed_out="sign in to take part in the debate")
def debate_configure(
    *,
    user,
    room_id: int,
    premoderation: bool | None = None,
    turn_limit: int | None = None,
    clear_turn_limit: bool = False,
    auto_end: bool | None = None,
    fairness: str | None = None,
    ref: str | None = None,
) -> dict:
    """Moderators set pre-moderation, the per-turn limit (seconds, 1-3600), self-ending turns
    and the fairness order. Applies to the next turns. Publishes `debate.configured`."""
    if turn_limit is not None and not 1 <= turn_limit <= TURN_LIMIT_MAX:
        raise AppError("bad_request", f"turn_limit is 1 to {TURN_LIMIT_MAX} seconds")
    if fairness is not None and fairness not in FAIRNESS:
        raise AppError("bad_request", f"fairness must be one of {', '.join(FAIRNESS)}")

    debate = debate_locked(room_id=room_id, user=user)
    moderator_required(room=debate.room, user=user)
    if premoderation is not None:
        debate.premoderation = premoderation
    if turn_limit is not None or clear_turn_limit:
        debate.turn_limit = turn_limit
    if auto_end is not None:
        debate.auto_end = auto_end
    if fairness is not None:
        debate.fairness = fairness
    debate.save(update_fields=["premoderation", "turn_limit", "auto_end", "fairness"])
    settings = {
        "premoderation": debate.premoderation,
        "turn_limit": debate.turn_limit,
        "auto_end": debate.auto_end,
        "fairness": debate.fairness,
    }
    publish(topic=floor_topic(room_id), kind="debate.configured", data=settings)
    queue_changed(debate)
    return settings
