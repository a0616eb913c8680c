"""Reads on debates: who may read and moderate, the three snapshots, speaking time.

What a non-moderator may see is decided here and only here: `questions_public` carries
visible questions only and never the author of an anonymous one; `questions_moderation`
carries everything, for the moderators' topic.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from debates.models import Debate, Hand, Question, Turn
from discussions.models import Membership, Room
from discussions.selectors import room_get_readable, room_role
from events.selectors import event_is_organiser, event_of_room
from realtime.errors import AppError

TOP_QUESTIONS = 200


def debate_readable(*, room_id: int, user) -> Debate:
    """The room's debate, or an unsaved one with the defaults: reading creates nothing."""
    room = room_get_readable(room_id=room_id, user=user)
    return Debate.objects.filter(room=room).select_related("room").first() or Debate(room=room)


def is_moderator(*, room: Room, user) -> bool:
    """Room owners and moderators, the organisers of the room's event, and staff."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or room_role(room=room, user=user) in (Membership.OWNER, Membership.MODERATOR):
        return True
    event = event_of_room(room.id)
    return event is not None and event_is_organiser(event=event, user=user)


def moderator_required(*, room: Room, user) -> None:
    if not is_moderator(room=room, user=user):
        raise AppError("forbidden", "only the room's moderators may do this")


# A question as the snapshots read it: plain values, no model instances (a snapshot is recomputed
# up to four times a second for each audience, and building 200 questions with their authors as
# model instances cost more than the query).
QUESTION_COLUMNS = (
    "id",
    "body",
    "anonymous",
    "author__username",
    "upvotes",
    "pinned",
    "answered",
    "created_at",
    "status",
    "hidden_reason",
    "merged_into_id",
)


def _question_row(question: Question) -> dict:
    """A question read as a model instance, in the snapshots' shape (QUESTION_COLUMNS)."""
    row = {column: getattr(question, column) for column in QUESTION_COLUMNS if column != "author__username"}
    row["author__username"] = question.author.username if question.author else None
    return row


def _question_public(row: dict) -> dict:
    return {
        "id": row["id"],
        "body": row["body"],
        "author": None if row["anonymous"] else row["author__username"],
        "anonymous": row["anonymous"],
        "upvotes": row["upvotes"],
        "pinned": row["pinned"],
        "answered": row["answered"],
        "at": row["created_at"].isoformat(),
    }


def _question_moderation(row: dict) -> dict:
    return {
        **_question_public(row),
        "author": row["author__username"],
        "status": row["status"],
        "hidden_reason": row["hidden_reason"],
        "merged_into": row["merged_into_id"],
    }


def question_moderation_dict(question: Question) -> dict:
    return _question_moderation(_question_row(question))


def _ranked(debate_id: int, statuses: tuple[str, ...]) -> list[dict]:
    rows = Question.objects.filter(debate_id=debate_id, status__in=statuses)
    return list(rows.order_by("-pinned", "-upvotes", "created_at", "id").values(*QUESTION_COLUMNS)[:TOP_QUESTIONS])


def _version(debate_id: int, field: str) -> int | None:
    # Read first: the rows read after it are at least as new as the version they are sent with.
    return Debate.objects.filter(id=debate_id).values_list(field, flat=True).first()


def questions_public(room_id: int) -> dict | None:
    """`questions` state for participants: visible questions ranked, anonymous authors removed."""
    debate_id = Debate.objects.filter(room_id=room_id).values_list("id", flat=True).first()
    if debate_id is None:
        return {"items": [], "count": 0, "version": 0}
    version = _version(debate_id, "questions_version")
    items = [_question_public(q) for q in _ranked(debate_id, (Question.VISIBLE,))]
    return {"items": items, "count": len(items), "version": version}


def questions_moderation(room_id: int) -> dict | None:
    """`questions` state for moderators: every question but merged ones, with its author and status."""
    debate_id = Debate.objects.filter(room_id=room_id).values_list("id", flat=True).first()
    if debate_id is None:
        return {"items": [], "count": 0, "version": 0}
    version = _version(debate_id, "questions_version")
    statuses = (Question.PENDING, Question.VISIBLE, Question.HIDDEN)
    items = [_question_moderation(row) for row in _ranked(debate_id, statuses)]
    return {"items": items, "count": len(items), "version": version}


def questions_of_author(*, debate: Debate, user) -> list[dict]:
    """The author's own questions, hidden ones with the moderators' reason."""
    if debate.pk is None:
        return []
    rows = Question.objects.filter(debate=debate, author=user).select_related("author").order_by("-created_at")
    return [question_moderation_dict(q) for q in rows[:100]]


def upvoted_ids(*, debate: Debate, user) -> list[int]:
    if debate.pk is None:
        return []
    return list(
        Question.objects.filter(debate=debate, upvote_rows__user=user, status=Question.VISIBLE).values_list(
            "id", flat=True
        )
    )


def speaking_totals(debate_id: int) -> dict[int, tuple[int, float]]:
    """{user id: (turns, seconds spoken)} over ended turns."""
    rows = (
        Turn.objects.filter(debate_id=debate_id, ended_at__isnull=False, user__isnull=False)
        .values("user_id")
        .annotate(turns=Count("id"), spoken=Sum("seconds"))
    )
    return {row["user_id"]: (row["turns"], row["spoken"] or 0.0) for row in rows}


def hand_first(debate: Debate) -> Hand | None:
    """The hand that gets the floor next: the first in the debate's fairness order, arrival
    breaking every tie (one strict order). The queue is ranked from plain (user, arrival) rows,
    as `queue_snapshot` does, and only the chosen hand is loaded with its user: a `floor_next`
    once built every waiting hand (hundreds in a town-hall debate) as a model instance, 14 ms
    of the single SQLite writer's time during which the room's chat waited (bench.debate)."""
    waiting = Hand.objects.filter(debate=debate)
    if debate.fairness == Debate.ARRIVAL:
        return waiting.select_related("user").order_by("arrival").first()
    rows = list(waiting.order_by("arrival").values_list("id", "user_id", "arrival"))
    if not rows:
        return None
    first = _fairness_sorted(debate, rows, speaking_totals(debate.id), lambda row: (row[1], row[2]))[0]
    return Hand.objects.select_related("user").get(id=first[0])


def _fairness_sorted(debate: Debate, hands: list, totals: dict, who: Callable) -> list:
    """`hands` (in arrival order) in the debate's fairness order; `who(hand)` is (user id, arrival)."""
    if debate.fairness == Debate.ARRIVAL:
        return hands
    if debate.fairness == Debate.NOT_SPOKEN:
        return sorted(hands, key=lambda hand: (who(hand)[0] in totals, who(hand)[1]))
    return sorted(hands, key=lambda hand: (totals.get(who(hand)[0], (0, 0.0))[1], who(hand)[1]))


def turn_open(debate: Debate) -> Turn | None:
    return Turn.objects.filter(debate=debate, ended_at__isnull=True).select_related("user").first()


def turn_as_dict(turn: Turn | None) -> dict | None:
    if turn is None:
        return None
    return {
        "id": turn.id,
        "user": turn.user.username if turn.user else None,
        "started_at": turn.started_at.isoformat(),
        "ends_at": turn.ends_at.isoformat() if turn.ends_at else None,
        "auto_end": turn.auto_end,
    }


def queue_snapshot(room_id: int) -> dict | None:
    """`queue` state: the current turn, the waiting hands in order, the floor's settings."""
    debate = Debate.objects.filter(room_id=room_id).first()
    if debate is None:
        return {"current": None, "hands": [], "count": 0, "version": 0}
    totals = speaking_totals(debate.id)
    # Plain values, as the questions' snapshot (QUESTION_COLUMNS): a queue of hundreds of hands.
    rows = Hand.objects.filter(debate=debate).order_by("arrival")
    rows = list(rows.values_list("user_id", "arrival", "user__username", "raised_at"))
    hands = [
        {
            "id": arrival,  # unique in the debate, new at each raise: what a delta names (B.1.1)
            "user": username,
            "raised_at": raised_at.isoformat(),
            "turns": totals.get(user_id, (0, 0.0))[0],
            "spoken": round(totals.get(user_id, (0, 0.0))[1], 1),
        }
        for user_id, arrival, username, raised_at in _fairness_sorted(debate, rows, totals, lambda row: row[:2])
    ]
    return {
        "current": turn_as_dict(turn_open(debate)),
        "hands": hands,
        "count": len(hands),
        "fairness": debate.fairness,
        "turn_limit": debate.turn_limit,
        "auto_end": debate.auto_end,
        "version": debate.queue_version,
    }


def debate_active(debate: Debate) -> bool:
    """Whether the room runs a debate (anything asked, raised, spoken, voted or set up):
    the room page then shows the debate first, for phones in the hall."""
    if debate.pk is None:
        return False
    return bool(
        debate.current_vote_id
        or debate.turn_limit
        or debate.premoderation
        or debate.arrivals
        or Question.objects.filter(debate=debate).exists()
    )


def debate_as_dict(debate: Debate) -> dict:
    return {
        "room": debate.room_id,
        "active": debate_active(debate),
        "premoderation": debate.premoderation,
        "turn_limit": debate.turn_limit,
        "auto_end": debate.auto_end,
        "fairness": debate.fairness,
        "current_vote": debate.current_vote_id,
        "topics": {
            "questions": f"debate:{debate.room_id}",
            "floor": f"floor:{debate.room_id}",
            "moderation": f"moderation:{debate.room_id}",
        },
    }


def speaking_report(debate: Debate) -> list[dict]:
    """Per person: turns and seconds spoken (ended turns), most time first — the CSV export."""
    if debate.pk is None:
        return []
    rows = (
        Turn.objects.filter(debate=debate, ended_at__isnull=False, user__isnull=False)
        .values("user__username")
        .annotate(turns=Count("id"), spoken=Sum("seconds"))
        .order_by("-spoken", "user__username")
    )
    return [
        {"user": row["user__username"], "turns": row["turns"], "seconds": round(row["spoken"] or 0.0, 1)}
        for row in rows
    ]


def turns_due(now=None) -> list[int]:
    """Open turns that end themselves and whose limit has come."""
    now = now or timezone.now()
    return list(
        Turn.objects.filter(Q(auto_end=True) & Q(ended_at__isnull=True) & Q(ends_at__lte=now)).values_list(
            "id", flat=True
        )[:200]
    )


def turn_next_end():
    """When the next open turn that ends itself reaches its limit (None: no such turn)."""
    return Turn.objects.filter(auto_end=True, ended_at__isnull=True).aggregate(at=Min("ends_at"))["at"]


def question_by_id(question_id: int) -> Question | None:
    """The question whatever its status, for the room's moderation queue."""
    return Question.objects.select_related("author", "debate").filter(id=question_id).first()
