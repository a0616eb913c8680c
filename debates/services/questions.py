"""Questions: ask, upvote, withdraw an upvote, moderate (approve, pin, answer, hide, merge).

A non-moderator's topic (`debate:<room>`) only ever gets visible questions and never the
author of an anonymous one; the moderators' topic (`moderation:<room>`) gets everything.
Events on the participants' topic carry ids only, never a question's text or author: the
text lives in the `questions` state alone, so a question hidden later does not come back
in the replay of older events.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from debates.models import Debate, Question, Upvote
from debates.selectors import is_moderator, moderator_required, question_moderation_dict
from debates.services.common import (
    debate_locked,
    debate_row_locked,
    moderation_topic,
    publish,
    questions_changed,
    questions_changed_by_id,
    questions_topic,
    signed_in_required,
)
from discussions.selectors import room_get_readable, room_get_readable_batched, room_writer_check
from realtime.batching import batch_before_commit, batch_cached
from realtime.errors import AppError
from realtime.redaction import topic_events_redact
from realtime.writes import user_write

QUESTION_MAX = 500
REASON_MAX = 300
ACTIONS = ("approve", "pin", "unpin", "answer", "hide", "merge")


def _question_in(debate: Debate, question_id: int, *, statuses: tuple[str, ...]) -> Question:
    question = (
        Question.objects.select_related("author").filter(id=question_id, debate=debate, status__in=statuses).first()
    )
    if question is None:
        raise AppError("not_found", f"question {question_id} is not open in this debate")
    return question


@user_write("ask", actor="author", signed_out="sign in to take part in the debate")
def question_ask(*, author, room_id: int, body: str, anonymous: bool = False, ref: str | None = None) -> dict:
    """Ask a question (≤ 500 characters). Under pre-moderation it waits for a moderator's
    approval, seen by moderators only. Publishes `question.asked`; returns {id, status}."""
    body = (body or "").strip() if isinstance(body, str) else body
    if not isinstance(body, str) or not body:
        raise AppError("bad_request", "a question must not be empty")
    if len(body) > QUESTION_MAX:
        raise AppError("bad_request", f"a question is limited to {QUESTION_MAX} characters")

    debate = debate_locked(room_id=room_id, user=author)
    room_writer_check(room=debate.room, user=author)
    waits = debate.premoderation and not is_moderator(room=debate.room, user=author)
    question = Question.objects.create(
        debate=debate,
        author=author,
        body=body,
        anonymous=bool(anonymous),
        status=Question.PENDING if waits else Question.VISIBLE,
        created_at=timezone.now(),
    )
    if not waits:
        publish(topic=questions_topic(room_id), kind="question.asked", data={"id": question.id})
    publish(topic=moderation_topic(room_id), kind="question.asked", data=question_moderation_dict(question))
    questions_changed(debate)
    return {"id": question.id, "status": question.status}


def _upvote_debate(*, user, room_id: int) -> Debate:
    """The room's debate, locked until commit. In a group-commit batch the room is read and the
    debate locked once for the upvotes of the batch (they change no room, sanction or debate
    setting), so each upvote costs a few statements: its receipt, its count, its row."""
    signed_in_required(user)
    room = room_get_readable_batched(room_id=room_id, user=user)
    return batch_cached(("debate-locked", room.id), lambda: _debate_lock_or_none(room))


def _debate_lock_or_none(room) -> Debate:
    debate = debate_row_locked(room)  # run once per batch of upvotes
    if debate is None:
        raise AppError("not_found", "this room runs no debate yet")
    return debate


def _count_move(debate: Debate, question_id: int, delta: int) -> int:
    """Move a visible question's count under the debate's lock; its new count. Hidden, pending,
    merged, foreign or missing: `not_found` (the caller's savepoint undoes the rest)."""
    table = Question._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET upvotes = upvotes + %s WHERE id = %s AND debate_id = %s AND status = %s "
            "RETURNING upvotes",
            [delta, question_id, debate.id, Question.VISIBLE],
        )
        row = cursor.fetchone()
    if row is None:
        raise AppError("not_found", f"question {question_id} is not open in this debate")
    # The version grows once per batch of upvotes, and both audiences' states are recomputed once.
    batch_before_commit(("questions-changed", debate.id), lambda: questions_changed_by_id(debate))
    return row[0]


@user_write("upvote", actor="user", signed_out="sign in to take part in the debate")
def question_upvote(*, user, room_id: int, question_id: int, ref: str | None = None) -> dict:
    """One upvote per person (a database constraint) on a visible question; returns {question, upvotes}.
    The count moves by the same statement that checks the question is open, under the debate's lock."""
    debate = _upvote_debate(user=user, room_id=room_id)
    upvotes = _count_move(debate, question_id, 1)
    table = Upvote._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (question_id, user_id, created_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (question_id, user_id) DO NOTHING RETURNING id",
            [question_id, user.pk, now],
        )
        if cursor.fetchone() is None:  # the count moved back with the savepoint
            raise AppError("conflict", "you already upvoted this question")
    return {"question": question_id, "upvotes": upvotes, "upvoted": True}


@user_write("unvote", actor="user", signed_out="sign in to take part in the debate")
def question_unvote(*, user, room_id: int, question_id: int, ref: str | None = None) -> dict:
    """Withdraw one's upvote; returns {question, upvotes}."""
    debate = _upvote_debate(user=user, room_id=room_id)
    deleted, _ = Upvote.objects.filter(question_id=question_id, user=user).delete()
    if not deleted:
        if not Question.objects.filter(id=question_id, debate=debate, status=Question.VISIBLE).exists():
            raise AppError("not_found", f"question {question_id} is not open in this debate")
        raise AppError("conflict", "you have not upvoted this question")
    upvotes = _count_move(debate, question_id, -1)  # not open: the deletion rolls back too
    return {"question": question_id, "upvotes": upvotes, "upvoted": False}


@user_write("moderate", actor="user", signed_out="sign in to take part in the debate")
def question_moderate(
    *,
    user,
    room_id: int,
    question_id: int,
    action: str,
    reason: str = "",
    into: int | None = None,
    ref: str | None = None,
) -> dict:
    """A moderator approves, pins, unpins, answers, hides (with a reason the author sees) or
    merges a question into another (upvotes combine, nobody counted twice). Publishes
    `question.<approved|pinned|answered|hidden|merged>`; returns the question as moderators see it."""
    if action not in ACTIONS:
        raise AppError("bad_request", f"action must be one of {', '.join(ACTIONS)}")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise AppError("bad_request", f"a reason is limited to {REASON_MAX} characters")
    if action == "hide" and not reason:
        raise AppError("bad_request", "hiding a question needs a reason (its author sees it)")
    if action == "merge" and (into is None or into == question_id):
        raise AppError("bad_request", "merge needs `into`, another question's id")

    debate = debate_locked(room_id=room_id, user=user)
    moderator_required(room=debate.room, user=user)
    open_statuses = (Question.PENDING, Question.VISIBLE)
    question = _question_in(debate, question_id, statuses=open_statuses)
    was_visible = question.status == Question.VISIBLE
    handler = {
        "approve": _approve,
        "pin": _pin,
        "unpin": _pin,
        "answer": _answer,
        "hide": _hide,
        "merge": _merge,
    }[action]
    handler(debate=debate, question=question, action=action, reason=reason, into=into, was_visible=was_visible)
    questions_changed(debate)
    question.refresh_from_db()
    return question_moderation_dict(question)


def _both(debate: Debate, *, kind: str, public: dict | None, moderation: dict) -> None:
    """Publish to participants (when `public` is given) then to moderators, always in that order."""
    if public is not None:
        publish(topic=questions_topic(debate.room_id), kind=kind, data=public)
    publish(topic=moderation_topic(debate.room_id), kind=kind, data=moderation)


def _approve(*, debate, question, was_visible, **_) -> None:
    if was_visible:
        raise AppError("conflict", "this question is already visible")
    question.status = Question.VISIBLE
    question.save(update_fields=["status"])
    publish(topic=questions_topic(debate.room_id), kind="question.asked", data={"id": question.id})
    publish(topic=moderation_topic(debate.room_id), kind="question.approved", data={"id": question.id})


def _pin(*, debate, question, action, was_visible, **_) -> None:
    question.pinned = action == "pin"
    question.save(update_fields=["pinned"])
    data = {"id": question.id, "pinned": question.pinned}
    _both(debate, kind="question.pinned", public=data if was_visible else None, moderation=data)


def _answer(*, debate, question, was_visible, **_) -> None:
    if question.answered:
        raise AppError("conflict", "this question is already answered")
    question.answered = True
    question.pinned = False
    question.save(update_fields=["answered", "pinned"])
    data = {"id": question.id}
    _both(debate, kind="question.answered", public=data if was_visible else None, moderation=data)


def _hide(*, debate, question, reason, was_visible, **_) -> None:
    question.status = Question.HIDDEN
    question.hidden_reason = reason
    question.pinned = False
    question.save(update_fields=["status", "hidden_reason", "pinned"])
    _both(
        debate,
        kind="question.hidden",
        public={"id": question.id} if was_visible else None,
        moderation={"id": question.id, "reason": reason},
    )


def _merge(*, debate, question, into, was_visible, **_) -> None:
    target = _question_in(debate, into, statuses=(Question.PENDING, Question.VISIBLE))
    # Upvoters of both keep one upvote on the target; the others' upvotes move over.
    already = Upvote.objects.filter(question=target).values("user_id")
    Upvote.objects.filter(question=question, user_id__in=already).delete()
    Upvote.objects.filter(question=question).update(question=target)
    Question.objects.filter(id=target.id).update(upvotes=Upvote.objects.filter(question=target).count())
    question.status = Question.MERGED
    question.merged_into = target
    question.upvotes = 0
    question.pinned = False
    question.save(update_fields=["status", "merged_into", "upvotes", "pinned"])
    data = {"id": question.id, "into": target.id}
    public = data if was_visible and target.status == Question.VISIBLE else None
    _both(debate, kind="question.merged", public=public, moderation=data)


# --- co-moderation (called by the moderation app inside its own write) --------------------------

REPORTED_REASON = "reported by several people: hidden pending a moderation vote"


def question_visible_readable(*, question_id: int, user) -> Question:
    """A visible question of a debate `user` may read; else `not_found` (same as a missing one)."""
    question = Question.objects.select_related("debate", "author").filter(id=question_id).first()
    missing = AppError("not_found", f"question {question_id} does not exist")
    if question is None or question.status != Question.VISIBLE:
        raise missing
    try:
        room_get_readable(room_id=question.debate.room_id, user=user)
    except AppError:
        raise missing from None
    return question


def _reported_locked(room_id: int, question_id: int) -> tuple[Debate, Question]:
    debate = Debate.objects.select_for_update().get(room_id=room_id)
    question = Question.objects.select_related("author").filter(id=question_id, debate=debate).first()
    if question is None:
        raise AppError("not_found", f"question {question_id} is not in this debate")
    return debate, question


def question_reported_hide(*, room_id: int, question_id: int) -> None:
    """Hide a reported question pending the moderation vote (participants lose it live)."""
    debate, question = _reported_locked(room_id, question_id)
    if question.status != Question.VISIBLE:
        return
    _hide(debate=debate, question=question, reason=REPORTED_REASON, was_visible=True)
    questions_changed(debate)


def question_reported_restore(*, room_id: int, question_id: int) -> None:
    """The vote kept the question: visible again, live."""
    debate, question = _reported_locked(room_id, question_id)
    if question.status != Question.HIDDEN:
        return
    question.status = Question.VISIBLE
    question.hidden_reason = ""
    question.save(update_fields=["status", "hidden_reason"])
    publish(topic=questions_topic(room_id), kind="question.asked", data={"id": question.id})
    publish(topic=moderation_topic(room_id), kind="question.approved", data={"id": question.id})
    questions_changed(debate)


def question_reported_remove(*, room_id: int, question_id: int, reason: str) -> None:
    """The vote removed the question: its text is erased, from the row and from the
    moderators' replay; its author reads `reason` with their questions."""
    debate, question = _reported_locked(room_id, question_id)
    topic_events_redact(
        topic=moderation_topic(room_id), object_id=question.id, kinds=("question.asked",), keep=("id", "at")
    )
    question.status = Question.HIDDEN
    question.hidden_reason = reason[:REASON_MAX]
    question.body = ""
    question.save(update_fields=["status", "hidden_reason", "body"])
    questions_changed(debate)
