"""Close early, extend, reopen (each once, with a reason, by the author or moderators) and a
meeting time's winning slot turned into an event, through the real services and database."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from events.models import Event, Rsvp
from proposals import selectors, services
from proposals.models import Proposal
from realtime.errors import AppError
from realtime.models import TopicEvent


def events_of(proposal, kind):
    return list(TopicEvent.objects.filter(topic=proposal.topic, kind=kind).order_by("seq"))


def fresh(proposal) -> Proposal:
    return Proposal.objects.get(id=proposal.id)


def refused(call) -> AppError:
    with pytest.raises(AppError) as caught:
        call()
    return caught.value


def later(hours: float):
    return timezone.now() + timedelta(hours=hours)


def test_close_early_with_a_reason_once(make_proposal, make_user):
    proposal = make_proposal()
    services.vote_cast(user=make_user(), proposal_id=proposal.id, choice="up")
    outcome = services.proposal_close_now(user=proposal.author, proposal_id=proposal.id, reason="Consensus atteint")
    assert outcome["result"] == "adopted"
    [closed] = events_of(proposal, "proposal.closed")
    assert (closed.data["by"], closed.data["note"]) == (proposal.author.username, "Consensus atteint")
    again = refused(lambda: services.proposal_close_now(user=proposal.author, proposal_id=proposal.id))
    assert again.code == "conflict" and len(events_of(proposal, "proposal.closed")) == 1


def test_extend_by_the_author_or_a_moderator_not_anyone(make_proposal, make_user, make_room):
    from discussions.models import Membership

    owner, moderator, stranger = make_user(), make_user(), make_user()
    room = make_room(owner)
    Membership.objects.create(room=room, user=moderator, role=Membership.MODERATOR)
    proposal = make_proposal(author=make_user(), room=room, closes_at=later(2).isoformat())
    before = fresh(proposal)
    denied = refused(
        lambda: services.proposal_extend(user=stranger, proposal_id=proposal.id, closes_at=later(5), reason="plus")
    )
    assert denied.code == "forbidden"
    earlier = refused(
        lambda: services.proposal_extend(user=moderator, proposal_id=proposal.id, closes_at=later(1), reason="x")
    )
    assert earlier.code == "bad_request" and "after the current closing" in earlier.message
    assert fresh(proposal).closes_at == before.closes_at and fresh(proposal).state_version == before.state_version
    target = later(24)
    done = services.proposal_extend(
        user=moderator, proposal_id=proposal.id, closes_at=target, reason="Vacances scolaires", ref="ext-1"
    )
    again = services.proposal_extend(
        user=moderator, proposal_id=proposal.id, closes_at=target, reason="Vacances scolaires", ref="ext-1"
    )
    assert again == done  # a resend: the first answer, no second event
    [extended] = events_of(proposal, "proposal.extended")
    assert extended.data["reason"] == "Vacances scolaires" and extended.data["by"] == moderator.username
    assert extended.data["previous_closes_at"] == before.closes_at.isoformat()
    assert fresh(proposal).closes_at == target
    assert selectors.proposal_tally(fresh(proposal))["closes_at"] == target.isoformat()


def test_reopen_withdraws_the_result_and_counts_the_undecided(make_proposal, make_user, make_room):
    from discussions.models import Membership

    owner = make_user()
    room = make_room(owner)
    members = [make_user() for _ in range(3)]
    for member in members:
        Membership.objects.create(room=room, user=member, role=Membership.MEMBER)
    proposal = make_proposal(author=owner, room=room, eligibility="members", kind="consent")
    services.vote_cast(user=members[0], proposal_id=proposal.id, ballot={"choice": "agree"})
    services.proposal_close_now(user=owner, proposal_id=proposal.id)
    assert fresh(proposal).result == "adopted"
    assert (
        refused(
            lambda: services.proposal_reopen(user=members[1], proposal_id=proposal.id, closes_at=later(2), reason="x")
        ).code
        == "forbidden"
    )
    reply = services.proposal_reopen(user=owner, proposal_id=proposal.id, closes_at=later(48), reason="Peu de votants")
    # the electorate fixed at opening: owner + 3 members; one voted
    assert reply["undecided"] == 3
    assert selectors.proposal_undecided_ids(fresh(proposal)) == sorted([owner.id, members[1].id, members[2].id])
    row = fresh(proposal)
    assert (row.phase, row.result, row.outcome, row.closed_at, row.reopened_count) == ("tovote", "", None, None, 1)
    [reopened] = events_of(proposal, "proposal.reopened")
    assert reopened.data["reason"] == "Peu de votants"
    services.vote_cast(user=members[1], proposal_id=proposal.id, ballot={"choice": "block", "reason": "Trop cher"})
    assert (
        refused(
            lambda: services.proposal_reopen(user=owner, proposal_id=proposal.id, closes_at=later(2), reason="encore")
        ).code
        == "conflict"
    )
    services.proposal_close_now(user=owner, proposal_id=proposal.id)
    assert fresh(proposal).outcome["reason"] == "block"
    assert len(events_of(proposal, "proposal.closed")) == 2


@pytest.mark.django_db(transaction=True)
def test_two_reopens_at_once_reopen_once(make_proposal, make_user):
    proposal = make_proposal()
    services.proposal_close_now(user=proposal.author, proposal_id=proposal.id)
    barrier = threading.Barrier(2)
    answers: list[str] = []

    def run(reason):
        try:
            barrier.wait(timeout=10)
            services.proposal_reopen(user=proposal.author, proposal_id=proposal.id, closes_at=later(3), reason=reason)
            answers.append("ok")
        except AppError as exc:
            answers.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(reason,)) for reason in ("un", "deux")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == ["conflict", "ok"]
    assert len(events_of(proposal, "proposal.reopened")) == 1 and fresh(proposal).reopened_count == 1


def slots(n: int, start_hours: int = 72) -> list[dict]:
    start = timezone.now().replace(microsecond=0) + timedelta(hours=start_hours)
    return [
        {
            "starts_at": (start + timedelta(hours=2 * i)).isoformat(),
            "ends_at": (start + timedelta(hours=2 * i + 1)).isoformat(),
        }
        for i in range(n)
    ]


def test_the_winning_slot_becomes_an_event_once_with_its_invitations(make_proposal, make_user):
    proposal = make_proposal(kind="meeting", slots=slots(3))
    ana, bob, cyd = make_user(), make_user(), make_user()
    for voter, picks in ((ana, ["s1", "s2"]), (bob, ["s2"]), (cyd, ["s3"])):
        services.vote_cast(user=voter, proposal_id=proposal.id, ballot={"choices": picks})
    early = refused(lambda: services.proposal_schedule(user=proposal.author, proposal_id=proposal.id))
    assert early.code == "conflict"
    services.proposal_close_now(user=proposal.author, proposal_id=proposal.id)
    assert refused(lambda: services.proposal_schedule(user=ana, proposal_id=proposal.id)).code == "forbidden"
    done = services.proposal_schedule(user=proposal.author, proposal_id=proposal.id, address="Salle verte")
    event = Event.objects.get(id=done["event"])
    s2 = fresh(proposal).options[1]
    assert (event.starts_at.isoformat(), event.ends_at.isoformat()) == (
        timezone.datetime.fromisoformat(s2["starts_at"]).astimezone(event.starts_at.tzinfo).isoformat(),
        timezone.datetime.fromisoformat(s2["ends_at"]).astimezone(event.ends_at.tzinfo).isoformat(),
    )
    assert event.title == proposal.title and event.address == "Salle verte" and not event.invite_only
    invited = set(Rsvp.objects.filter(event=event, status=Rsvp.INVITED).values_list("user__username", flat=True))
    assert invited == {ana.username, bob.username}  # available at s2; cyd was not
    assert done["ics"] == f"/api/events/{event.id}/ics" and done["invited"] == 2
    [scheduled] = events_of(proposal, "proposal.scheduled")
    assert scheduled.data["slot"] == "s2" and scheduled.data["event"] == event.id
    twice = refused(lambda: services.proposal_schedule(user=proposal.author, proposal_id=proposal.id))
    assert twice.code == "conflict" and Event.objects.count() == 1
    # A vote that became an event never reopens: a clear error, nothing changed.
    before = fresh(proposal)
    reopen = refused(
        lambda: services.proposal_reopen(user=proposal.author, proposal_id=proposal.id, closes_at=later(5), reason="x")
    )
    assert reopen.code == "conflict" and f"event {event.id}" in reopen.message
    after = fresh(proposal)
    assert (after.phase, after.result, after.state_version) == (before.phase, before.result, before.state_version)
    assert not events_of(proposal, "proposal.reopened")


def test_a_tied_meeting_needs_a_slot_and_others_cannot_be_scheduled(make_proposal, make_user):
    proposal = make_proposal(kind="meeting", slots=slots(2))
    for voter, pick in ((make_user(), "s1"), (make_user(), "s2")):
        services.vote_cast(user=voter, proposal_id=proposal.id, ballot={"choices": [pick]})
    services.proposal_close_now(user=proposal.author, proposal_id=proposal.id)
    tied = refused(lambda: services.proposal_schedule(user=proposal.author, proposal_id=proposal.id))
    assert tied.code == "bad_request" and "s1, s2" in tied.message
    assert services.proposal_schedule(user=proposal.author, proposal_id=proposal.id, slot="s2")["slot"] == "s2"
    other = make_proposal(kind="approval", choices=["A", "B"])
    services.proposal_close_now(user=other.author, proposal_id=other.id)
    assert refused(lambda: services.proposal_schedule(user=other.author, proposal_id=other.id)).code == "bad_request"


@pytest.mark.parametrize("secret", [False, True], ids=["public", "secret"])
def test_the_author_revises_a_consent_and_lifts_the_blocks(make_proposal, make_user, secret):
    proposal = make_proposal(kind="consent", anonymous=secret, can_change=False)
    agree, blocker, other = make_user(), make_user(), make_user()
    services.vote_cast(user=agree, proposal_id=proposal.id, ballot={"choice": "agree"})
    services.vote_cast(user=blocker, proposal_id=proposal.id, ballot={"choice": "block", "reason": "Trop cher"})
    services.vote_cast(user=other, proposal_id=proposal.id, ballot={"choice": "block", "reason": "Trop tôt"})
    assert selectors.proposal_tally(fresh(proposal))["result"]["reason"] == "block"
    assert (
        refused(lambda: services.proposal_revise(user=agree, proposal_id=proposal.id, body="x", reason="y")).code
        == "forbidden"
    )
    done = services.proposal_revise(
        user=proposal.author, proposal_id=proposal.id, body="Budget plafonné à 10 000 €.", reason="Coût précisé"
    )
    assert done["blocks_lifted"] == 2
    row = fresh(proposal)
    assert row.body == "Budget plafonné à 10 000 €." and row.counts["block"] == 0 and row.total == 1
    assert selectors.proposal_tally(row)["blocks"] == []
    [revised] = events_of(proposal, "proposal.revised")
    assert revised.data["reason"] == "Coût précisé"
    # The blocker votes again on the new text (although votes cannot be changed); the agree stands.
    services.vote_cast(user=blocker, proposal_id=proposal.id, ballot={"choice": "agree"})
    assert (
        refused(lambda: services.vote_cast(user=agree, proposal_id=proposal.id, ballot={"choice": "disagree"})).code
        == "conflict"
    )
    assert fresh(proposal).counts == {"agree": 2, "abstain": 0, "disagree": 0, "block": 0}
    assert services.proposal_close_now(user=proposal.author, proposal_id=proposal.id)["result"] == "adopted"


def test_only_an_open_consent_is_revised(make_proposal):
    vote = make_proposal()
    assert (
        refused(lambda: services.proposal_revise(user=vote.author, proposal_id=vote.id, body="x", reason="y")).code
        == "bad_request"
    )
    consent = make_proposal(kind="consent")
    services.proposal_close_now(user=consent.author, proposal_id=consent.id)
    assert (
        refused(
            lambda: services.proposal_revise(user=consent.author, proposal_id=consent.id, body="x", reason="y")
        ).code
        == "conflict"
    )
