"""Upvotes in one group-commit batch (realtime.batching): a few statements each, every guarantee
kept per write — one per person, exact counts, a hidden question refused, the version grows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from debates import commands, selectors, services
from debates.models import Debate, Question, Upvote
from realtime.batching import run_batch
from realtime.errors import AppError
from realtime.models import WriteReceipt

pytestmark = pytest.mark.django_db(transaction=True)

# Per upvote in a batch: its savepoint and release, its receipt (claim, result), its count, its row.
STATEMENTS_PER_UPVOTE = 6


def upvote_call(room_id: int, user, question: int, ref: str, kind: str = "upvote"):
    command = commands.Upvote(type=kind, topic=f"debate:{room_id}", question=question, ref=ref)
    return (commands.upvote if kind == "upvote" else commands.unvote), {"user": user, "command": command}


def test_a_batch_of_upvotes_costs_a_few_statements_each_and_counts_exactly(debate_room, make_user):
    room, moderator = debate_room
    question = services.question_ask(author=moderator, room_id=room.id, body="Les horaires ?")["id"]
    users = [make_user(f"votant{i}") for i in range(40)]
    version = Debate.objects.get(room=room).questions_version
    calls = [upvote_call(room.id, user, question, f"r{i}") for i, user in enumerate(users)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = run_batch(calls)
    assert [value["upvotes"] for _, value in outcomes] == list(range(1, 41))
    # Once per batch: begin, the room, its sanctions, the debate's lock, the version bump, commit, and
    # the two `questions` snapshots computed on commit (no hub here). It was 21 statements per upvote.
    assert len(queries.captured_queries) <= 40 * STATEMENTS_PER_UPVOTE + 12, len(queries.captured_queries)
    assert Question.objects.get(id=question).upvotes == 40 == Upvote.objects.filter(question_id=question).count()
    assert Debate.objects.get(room=room).questions_version == version + 1
    assert WriteReceipt.objects.filter(action="upvote").count() == 40


def test_refused_upvotes_in_a_batch_roll_back_alone(debate_room, make_user, make_room):
    """A second upvote by one person (conflict), an upvote of a hidden or foreign question and an
    unvote never given (not_found, conflict) fail alone; the others count, exactly once."""
    room, moderator = debate_room
    ana, bob, eve = make_user("ana"), make_user("bob"), make_user("eve")
    open_one = services.question_ask(author=moderator, room_id=room.id, body="Ouverte ?")["id"]
    hidden = services.question_ask(author=moderator, room_id=room.id, body="Cachée")["id"]
    services.question_moderate(user=moderator, room_id=room.id, question_id=hidden, action="hide", reason="doublon")
    elsewhere = make_user("ailleurs")
    other_room = make_room(elsewhere, name="Ailleurs")
    foreign = services.question_ask(author=elsewhere, room_id=other_room.id, body="Ailleurs ?")["id"]
    calls = [
        upvote_call(room.id, ana, open_one, "a1"),
        upvote_call(room.id, ana, open_one, "a2"),  # twice: conflict
        upvote_call(room.id, bob, hidden, "b1"),  # hidden: not_found
        upvote_call(room.id, bob, foreign, "b2"),  # another room's: not_found
        upvote_call(room.id, eve, open_one, "e1", kind="unvote"),  # never upvoted: conflict
        upvote_call(room.id, bob, open_one, "b3"),
        upvote_call(room.id, ana, open_one, "a3", kind="unvote"),
        upvote_call(room.id, eve, open_one, "e2"),
    ]
    outcomes = run_batch(calls)
    codes = [value.code if not ok else "ok" for ok, value in outcomes]
    assert codes == ["ok", "conflict", "not_found", "not_found", "conflict", "ok", "ok", "ok"]
    assert [value["upvotes"] for ok, value in outcomes if ok] == [1, 2, 1, 2]
    assert Question.objects.get(id=open_one).upvotes == 2
    assert set(Upvote.objects.filter(question_id=open_one).values_list("user__username", flat=True)) == {"bob", "eve"}
    assert Question.objects.get(id=hidden).upvotes == 0 and Question.objects.get(id=foreign).upvotes == 0
    assert not Upvote.objects.filter(question_id__in=[hidden, foreign]).exists()
    assert not WriteReceipt.objects.filter(ref__in=["a2", "b1", "b2", "e1"]).exists()  # refused: no receipt
    public = selectors.questions_public(room.id)
    assert [(q["id"], q["upvotes"]) for q in public["items"]] == [(open_one, 2)]


def test_an_upvote_alone_and_in_a_batch_answer_alike(debate_room, make_user):
    room, moderator = debate_room
    ana = make_user("ana")
    question = services.question_ask(author=moderator, room_id=room.id, body="Le budget ?")["id"]
    alone = services.question_upvote(user=ana, room_id=room.id, question_id=question, ref="x")
    assert alone == {"question": question, "upvotes": 1, "upvoted": True}
    with pytest.raises(AppError) as caught:
        services.question_upvote(user=ana, room_id=room.id, question_id=question)
    assert caught.value.code == "conflict"
    ((ok, batched),) = run_batch([upvote_call(room.id, ana, question, "x")])  # a resend: the same answer
    assert ok and batched == alone
    assert services.question_unvote(user=ana, room_id=room.id, question_id=question)["upvotes"] == 0


def test_hands_and_questions_in_one_batch_check_each_writer_alone(debate_room, make_user):
    """A batch's writes of one command share the room and its sanctions (read once), but each
    writer's own mute or ban decides for them alone: the muted and the banned are refused as
    they are outside a batch, before and after others who pass, and nobody inherits their
    sanction (the room each write gets is its writer's own copy)."""
    from discussions.services import room_sanction_set

    room, moderator = debate_room
    ana, muted, bob, banned, eve = (make_user(name) for name in ("ana", "muet", "bob", "banni", "eve"))
    room_sanction_set(room_id=room.id, user=muted, kind="mute", reason="x")
    room_sanction_set(room_id=room.id, user=banned, kind="ban", reason="x")
    order = [ana, muted, bob, banned, eve]

    def hand(i, user):
        command = commands.Floor(type="raise_hand", topic=f"floor:{room.id}", ref=f"h{i}")
        return commands.raise_hand, {"user": user, "command": command}

    def ask(i, user):
        command = commands.Ask(type="ask", topic=f"debate:{room.id}", body=f"Question {i} ?", ref=f"q{i}")
        return commands.ask, {"user": user, "command": command}

    for make in (hand, ask):
        outcomes = run_batch([make(i, user) for i, user in enumerate(order)])
        assert [ok for ok, _ in outcomes] == [True, False, True, False, True]
        alone = []
        for user in (muted, banned):
            with pytest.raises(AppError) as error:
                if make is hand:
                    services.hand_raise(user=user, room_id=room.id)
                else:
                    services.question_ask(author=user, room_id=room.id, body="Seul ?")
            alone.append((error.value.code, error.value.message))
        assert [(value.code, value.message) for _, value in (outcomes[1], outcomes[3])] == alone
    assert [h["user"] for h in selectors.queue_snapshot(room.id)["hands"]] == ["ana", "bob", "eve"]
    assert [h["arrival"] for h in Debate.objects.get(room=room).hands.order_by("arrival").values()] == [1, 2, 3]
    assert sorted(q["body"] for q in selectors.questions_public(room.id)["items"]) == [
        "Question 0 ?",
        "Question 2 ?",
        "Question 4 ?",
    ]
