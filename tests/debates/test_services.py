"""Debate services: questions, upvotes, moderation, the floor, bad input, permissions."""

from __future__ import annotations

import pytest
from django.utils import timezone

from debates import selectors, services
from debates.models import Debate, Hand, Question, Turn, Upvote
from proposals.inputs import ProposalIn
from proposals.models import Proposal
from proposals.services import proposal_close_now
from realtime.errors import AppError
from realtime.models import TopicEvent

pytestmark = pytest.mark.django_db


def _snapshot(room_id: int) -> dict:
    return {
        "public": selectors.questions_public(room_id),
        "moderation": selectors.questions_moderation(room_id),
        "queue": selectors.queue_snapshot(room_id),
        "events": TopicEvent.objects.count(),
        "upvotes": Upvote.objects.count(),
        "hands": Hand.objects.count(),
        "turns": list(Turn.objects.values_list("id", "ended_at")),
    }


def _refused(code: str, room_id: int, call) -> AppError:
    """`call` fails with `code` and changes nothing at all."""
    before = _snapshot(room_id)
    with pytest.raises(AppError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert caught.value.message
    assert _snapshot(room_id) == before
    return caught.value


def test_upvotes_rank_questions_and_count_once_per_person(debate_room, make_user):
    room, _ = debate_room
    ana, bob, eve = make_user("ana"), make_user("bob"), make_user("eve")
    first = services.question_ask(author=ana, room_id=room.id, body="Les horaires de la navette ?")["id"]
    second = services.question_ask(author=bob, room_id=room.id, body="Le budget participatif ?")["id"]
    for user in (ana, bob, eve):
        services.question_upvote(user=user, room_id=room.id, question_id=second)
    services.question_upvote(user=eve, room_id=room.id, question_id=first)
    services.question_unvote(user=eve, room_id=room.id, question_id=second)
    state = selectors.questions_public(room.id)
    assert [(q["id"], q["upvotes"]) for q in state["items"]] == [(second, 2), (first, 1)]
    assert Upvote.objects.filter(question_id=second).count() == 2
    _refused("conflict", room.id, lambda: services.question_upvote(user=ana, room_id=room.id, question_id=second))
    _refused("conflict", room.id, lambda: services.question_unvote(user=eve, room_id=room.id, question_id=second))


def test_versions_only_grow(debate_room, make_user):
    room, _ = debate_room
    ana = make_user("ana")
    versions = []
    question = services.question_ask(author=ana, room_id=room.id, body="Une question ?")["id"]
    versions.append(selectors.questions_public(room.id)["version"])
    services.question_upvote(user=ana, room_id=room.id, question_id=question)
    versions.append(selectors.questions_public(room.id)["version"])
    services.question_unvote(user=ana, room_id=room.id, question_id=question)
    versions.append(selectors.questions_public(room.id)["version"])
    assert versions == sorted(set(versions))


@pytest.mark.parametrize("body", ["", "   ", "x" * 501, None, 12])
def test_empty_or_oversize_question_is_refused(debate_room, make_user, body):
    room, _ = debate_room
    ana = make_user("ana")
    _refused("bad_request", room.id, lambda: services.question_ask(author=ana, room_id=room.id, body=body))
    assert not Question.objects.exists()


def test_upvote_of_hidden_pending_or_foreign_question_is_not_found(debate_room, make_user, make_room):
    room, moderator = debate_room
    ana, bob = make_user("ana"), make_user("bob")
    other_room = make_room(bob, name="Ailleurs")
    foreign = services.question_ask(author=bob, room_id=other_room.id, body="Ailleurs ?")["id"]
    hidden = services.question_ask(author=ana, room_id=room.id, body="Hors sujet")["id"]
    services.question_moderate(user=moderator, room_id=room.id, question_id=hidden, action="hide", reason="hors sujet")
    services.debate_configure(user=moderator, room_id=room.id, premoderation=True)
    pending = services.question_ask(author=ana, room_id=room.id, body="En attente ?")
    assert pending["status"] == Question.PENDING
    for question_id in (foreign, hidden, pending["id"], 999_999):
        _refused(
            "not_found",
            room.id,
            lambda q=question_id: services.question_upvote(user=bob, room_id=room.id, question_id=q),
        )


def test_hidden_pending_and_anonymous_never_reach_participants(debate_room, make_user):
    room, moderator = debate_room
    ana, bob = make_user("ana"), make_user("bob")
    anonymous = services.question_ask(author=ana, room_id=room.id, body="Question discrète", anonymous=True)["id"]
    hidden = services.question_ask(author=bob, room_id=room.id, body="Propos déplacé")["id"]
    services.question_moderate(user=moderator, room_id=room.id, question_id=hidden, action="hide", reason="insulte")
    services.debate_configure(user=moderator, room_id=room.id, premoderation=True)
    pending = services.question_ask(author=bob, room_id=room.id, body="Question à valider")["id"]

    public_text = str(selectors.questions_public(room.id)) + str(
        list(TopicEvent.objects.filter(topic=f"debate:{room.id}").values_list("data", flat=True))
    )
    assert "Question discrète" in public_text
    for secret in ("Propos déplacé", "Question à valider", "insulte", "'ana'"):
        assert secret not in public_text, secret
    moderation = {q["id"]: q for q in selectors.questions_moderation(room.id)["items"]}
    assert moderation[anonymous]["author"] == "ana"
    assert moderation[hidden]["status"] == "hidden" and moderation[hidden]["hidden_reason"] == "insulte"
    assert moderation[pending]["status"] == "pending"
    # The author sees why their question was hidden.
    debate = Debate.objects.get(room=room)
    mine = {q["id"]: q for q in selectors.questions_of_author(debate=debate, user=bob)}
    assert mine[hidden]["hidden_reason"] == "insulte"

    services.question_moderate(user=moderator, room_id=room.id, question_id=pending, action="approve")
    assert pending in [q["id"] for q in selectors.questions_public(room.id)["items"]]


def test_only_moderators_moderate_give_the_floor_and_configure(debate_room, make_user):
    room, moderator = debate_room
    ana, bob = make_user("ana"), make_user("bob")
    question = services.question_ask(author=ana, room_id=room.id, body="Une question")["id"]
    services.hand_raise(user=ana, room_id=room.id)
    for action in ("pin", "answer", "approve"):
        _refused(
            "forbidden",
            room.id,
            lambda a=action: services.question_moderate(user=bob, room_id=room.id, question_id=question, action=a),
        )
    _refused(
        "forbidden",
        room.id,
        lambda: services.question_moderate(user=bob, room_id=room.id, question_id=question, action="hide", reason="x"),
    )
    _refused("forbidden", room.id, lambda: services.floor_next(user=bob, room_id=room.id))
    _refused("forbidden", room.id, lambda: services.floor_give(user=bob, room_id=room.id, username="ana"))
    _refused("forbidden", room.id, lambda: services.hand_lower(user=bob, room_id=room.id, username="ana"))
    _refused("forbidden", room.id, lambda: services.debate_configure(user=bob, room_id=room.id, turn_limit=60))
    _refused(
        "forbidden",
        room.id,
        lambda: services.debate_vote_open(
            user=bob, room_id=room.id, proposal=ProposalIn(**{"title": "Pour ?", "body": "."})
        ),
    )


def test_merge_combines_upvotes_without_counting_anyone_twice(debate_room, make_user):
    room, moderator = debate_room
    ana, bob, eve = make_user("ana"), make_user("bob"), make_user("eve")
    source = services.question_ask(author=ana, room_id=room.id, body="Navette le dimanche ?")["id"]
    target = services.question_ask(author=bob, room_id=room.id, body="Horaires de la navette ?")["id"]
    for user in (ana, eve):
        services.question_upvote(user=user, room_id=room.id, question_id=source)
    for user in (bob, eve):
        services.question_upvote(user=user, room_id=room.id, question_id=target)
    services.question_moderate(user=moderator, room_id=room.id, question_id=source, action="merge", into=target)
    items = selectors.questions_public(room.id)["items"]
    assert [(q["id"], q["upvotes"]) for q in items] == [(target, 3)]
    assert set(Upvote.objects.filter(question_id=target).values_list("user__username", flat=True)) == {
        "ana",
        "bob",
        "eve",
    }
    _refused(
        "not_found",
        room.id,
        lambda: services.question_moderate(user=moderator, room_id=room.id, question_id=source, action="pin"),
    )
    _refused(
        "bad_request",
        room.id,
        lambda: services.question_moderate(user=moderator, room_id=room.id, question_id=target, action="merge"),
    )


def test_hide_needs_a_reason_and_answer_once(debate_room, make_user):
    room, moderator = debate_room
    question = services.question_ask(author=make_user("ana"), room_id=room.id, body="Une question")["id"]
    _refused(
        "bad_request",
        room.id,
        lambda: services.question_moderate(user=moderator, room_id=room.id, question_id=question, action="hide"),
    )
    services.question_moderate(user=moderator, room_id=room.id, question_id=question, action="answer")
    _refused(
        "conflict",
        room.id,
        lambda: services.question_moderate(user=moderator, room_id=room.id, question_id=question, action="answer"),
    )


def test_queue_order_raise_twice_and_next_on_empty_queue(debate_room, make_user):
    room, moderator = debate_room
    people = [make_user(f"p{i}") for i in range(4)]
    for person in people:
        services.hand_raise(user=person, room_id=room.id)
    _refused("conflict", room.id, lambda: services.hand_raise(user=people[0], room_id=room.id))
    assert [h["user"] for h in selectors.queue_snapshot(room.id)["hands"]] == ["p0", "p1", "p2", "p3"]
    services.hand_lower(user=people[1], room_id=room.id)
    _refused("conflict", room.id, lambda: services.hand_lower(user=people[1], room_id=room.id))
    given = services.floor_next(user=moderator, room_id=room.id)
    assert given["user"] == "p0"
    _refused("conflict", room.id, lambda: services.hand_raise(user=people[0], room_id=room.id))
    services.floor_give(user=moderator, room_id=room.id, username="p3")
    _refused("not_found", room.id, lambda: services.floor_give(user=moderator, room_id=room.id, username="p1"))
    state = selectors.queue_snapshot(room.id)
    assert state["current"]["user"] == "p3" and [h["user"] for h in state["hands"]] == ["p2"]
    services.floor_next(user=moderator, room_id=room.id)
    _refused("conflict", room.id, lambda: services.floor_next(user=moderator, room_id=room.id))
    services.floor_end(user=moderator, room_id=room.id)
    _refused("conflict", room.id, lambda: services.floor_end(user=moderator, room_id=room.id))
    assert Turn.objects.filter(ended_at__isnull=True).count() == 0
    report = {row["user"]: row["turns"] for row in selectors.speaking_report(Debate.objects.get(room=room))}
    assert report == {"p0": 1, "p3": 1, "p2": 1}


@pytest.mark.parametrize("fairness,expected", [("arrival", ["p0", "p1", "p2"]), ("not_spoken", ["p1", "p2", "p0"])])
def test_fairness_order_puts_those_who_have_not_spoken_first(debate_room, make_user, fairness, expected):
    room, moderator = debate_room
    people = [make_user(f"p{i}") for i in range(3)]
    services.hand_raise(user=people[0], room_id=room.id)
    services.floor_next(user=moderator, room_id=room.id)
    services.floor_end(user=moderator, room_id=room.id)
    for person in people:
        services.hand_raise(user=person, room_id=room.id)
    services.debate_configure(user=moderator, room_id=room.id, fairness=fairness)
    assert [h["user"] for h in selectors.queue_snapshot(room.id)["hands"]] == expected
    assert services.floor_next(user=moderator, room_id=room.id)["user"] == expected[0]


def test_least_time_order(debate_room, make_user):
    room, moderator = debate_room
    people = [make_user(f"p{i}") for i in range(3)]
    debate = Debate.objects.get_or_create(room=room)[0]
    now = timezone.now()
    for person, seconds in zip(people, (90, 30, 60), strict=True):
        Turn.objects.create(debate=debate, user=person, started_at=now, ended_at=now, seconds=seconds)
    for person in people:
        services.hand_raise(user=person, room_id=room.id)
    services.debate_configure(user=moderator, room_id=room.id, fairness="least_time")
    assert [h["user"] for h in selectors.queue_snapshot(room.id)["hands"]] == ["p1", "p2", "p0"]
    assert services.floor_next(user=moderator, room_id=room.id)["user"] == "p1"


def test_turn_with_limit_ends_once_by_the_scheduler(debate_room, make_user):
    room, moderator = debate_room
    ana = make_user("ana")
    services.debate_configure(user=moderator, room_id=room.id, turn_limit=10, auto_end=True)
    services.hand_raise(user=ana, room_id=room.id)
    turn = services.floor_next(user=moderator, room_id=room.id)
    assert turn["ends_at"] and turn["auto_end"]
    assert services.turn_end_due(turn_id=turn["id"]) is False  # not due yet
    later = timezone.now() + timezone.timedelta(seconds=11)
    assert services.turn_end_due(turn_id=turn["id"], now=later) is True
    assert services.turn_end_due(turn_id=turn["id"], now=later) is False
    ended = Turn.objects.get(id=turn["id"])
    assert ended.ended_by == "limit" and ended.seconds >= 10
    assert TopicEvent.objects.filter(topic=f"floor:{room.id}", kind="floor.ended").count() == 1


def test_bad_settings_are_refused(debate_room):
    room, moderator = debate_room
    _refused("bad_request", room.id, lambda: services.debate_configure(user=moderator, room_id=room.id, turn_limit=0))
    _refused("bad_request", room.id, lambda: services.debate_configure(user=moderator, room_id=room.id, fairness="x"))


def test_quick_vote_opened_then_closed_now_once(debate_room, make_user):
    room, moderator = debate_room
    opened = services.debate_vote_open(
        user=moderator,
        room_id=room.id,
        proposal=ProposalIn(**{"title": "On prolonge ?", "body": "Dix minutes de plus.", "eligibility": "members"}),
    )
    assert Debate.objects.get(room=room).current_vote_id == opened["id"]
    assert TopicEvent.objects.filter(topic=f"debate:{room.id}", kind="vote.opened").count() == 1
    with pytest.raises(AppError) as caught:
        proposal_close_now(user=make_user("bob"), proposal_id=opened["id"])
    assert caught.value.code == "forbidden"
    result = proposal_close_now(user=moderator, proposal_id=opened["id"])
    assert result["result"] in ("adopted", "refused")
    with pytest.raises(AppError) as caught:
        proposal_close_now(user=moderator, proposal_id=opened["id"])
    assert caught.value.code == "conflict"
    assert Proposal.objects.get(id=opened["id"]).phase == Proposal.RESOLVED
    assert TopicEvent.objects.filter(topic=f"proposal:{opened['id']}", kind="proposal.closed").count() == 1


def test_present_eligibility_needs_an_event_room(debate_room):
    room, moderator = debate_room
    proposal = ProposalIn(title="Pour ?", body=".", eligibility="present")
    _refused(
        "bad_request", room.id, lambda: services.debate_vote_open(user=moderator, room_id=room.id, proposal=proposal)
    )


def test_private_room_debate_is_closed_to_outsiders(make_user, make_room):
    owner, outsider = make_user("owner"), make_user("outsider")
    room = make_room(owner, visibility="private")
    with pytest.raises(AppError) as caught:
        services.question_ask(author=outsider, room_id=room.id, body="Je peux ?")
    assert caught.value.code == "not_found"  # as for a missing room: its id says nothing
    with pytest.raises(AppError) as caught:
        services.hand_raise(user=None, room_id=room.id)
    assert caught.value.code == "auth_required"


def test_an_events_organisers_moderate_its_room_and_a_present_vote_belongs_to_the_event(make_user):
    from datetime import timedelta

    from events.inputs import EventIn
    from events.models import Event
    from events.services import event_create
    from realtime.schemas import input_parse

    organiser, co_organiser, attendee = make_user("orga"), make_user("co"), make_user("attendee")
    starts_at = timezone.now() + timedelta(days=1)
    fields = {"title": "Réunion publique", "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=2)}
    created = event_create(creator=organiser, event=input_parse(EventIn, {**fields, "organisers": ["co"]}))
    event = Event.objects.get(id=created["id"])
    room_id = event.room_id
    services.hand_raise(user=attendee, room_id=room_id)
    assert services.floor_next(user=co_organiser, room_id=room_id)["user"] == "attendee"
    opened = services.debate_vote_open(
        user=co_organiser,
        room_id=room_id,
        proposal=ProposalIn(**{"title": "On vote ?", "body": ".", "eligibility": "present"}),
    )
    proposal = Proposal.objects.get(id=opened["id"])
    assert (proposal.event_id, proposal.room_id, proposal.eligibility) == (event.id, None, "present")
    assert proposal_close_now(user=co_organiser, proposal_id=proposal.id)["result"] in ("adopted", "refused")


def test_turns_end_returns_when_the_next_self_ending_turn_is_due(debate_room, make_user):
    """What the scheduler runs: it ends due turns and says when the next one ends (None: none)."""
    from datetime import timedelta

    from debates.scheduler import turns_end

    room, moderator = debate_room
    speaker = make_user("speaker")
    assert turns_end() is None
    services.debate_configure(user=moderator, room_id=room.id, turn_limit=60, auto_end=True)
    services.hand_raise(user=speaker, room_id=room.id)
    services.floor_next(user=moderator, room_id=room.id)
    turn = Turn.objects.get(ended_at__isnull=True)
    assert turns_end() == turn.ends_at
    Turn.objects.filter(id=turn.id).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert turns_end() is None  # ended by its limit: no turn waits
    assert Turn.objects.get(id=turn.id).ended_at is not None
