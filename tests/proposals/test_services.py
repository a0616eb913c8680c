"""Services: creation and bad input, the vote rules, amendments, opening and closing on time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from proposals import selectors, services
from proposals.models import Amendment, Proposal, SecretVoter, Vote
from proposals.scheduler import proposals_advance
from realtime.errors import AppError
from realtime.models import TopicEvent, WriteReceipt
from tests.proposals.conftest import proposal_make, soon


def events_of(proposal, kind=None):
    rows = TopicEvent.objects.filter(topic=proposal.topic).order_by("seq")
    return [e for e in rows if kind is None or e.kind == kind]


def expire(proposal, field="closes_at"):
    Proposal.objects.filter(id=proposal.id).update(**{field: timezone.now() - timedelta(seconds=1)})


def code_of(call) -> str:
    with pytest.raises(AppError) as caught:
        call()
    return caught.value.code


# --- creation ---------------------------------------------------------------------------------


def test_create_defaults_to_the_four_answers_and_opens_at_once(make_proposal):
    proposal = make_proposal()
    assert proposal.phase == Proposal.TOVOTE
    assert proposal.option_keys == ["up", "down", "white", "uncomplet"]
    assert proposal.counts == {"up": 0, "down": 0, "white": 0, "uncomplet": 0}
    assert proposal.closes_at > timezone.now() + timedelta(days=6)
    [opened] = events_of(proposal)
    assert (opened.seq, opened.kind) == (1, "proposal.opened")


def test_multiple_choice_gets_stable_keys(make_proposal):
    proposal = make_proposal(choices=["Vendredi", "Samedi", "Dimanche"])
    assert proposal.options == [
        {"key": "c1", "label": "Vendredi"},
        {"key": "c2", "label": "Samedi"},
        {"key": "c3", "label": "Dimanche"},
    ]
    assert proposal.multiple_choice


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"majority": 120}, "majority"),
        ({"majority": 49}, "majority"),
        ({"choices": ["Seule option"]}, "2 to 20"),
        ({"choices": [f"o{i}" for i in range(21)]}, "2 to 20"),
        ({"choices": ["Oui", "oui"]}, "distinct"),
        ({"choices": ["Oui", ""]}, "empty"),
        ({"quorum": 0}, "quorum"),
        ({"quorum": "150%"}, "quorum"),
        ({"quorum": "25%"}, "known electorate"),
        ({"title": "  "}, "title"),
        ({"eligibility": "everyone"}, "eligibility"),
        ({"eligibility": "present"}, "needs an event"),
        ({"closes_at": "tomorrow"}, "date-time"),
        ({"closes_at": timezone.now() - timedelta(minutes=1)}, "closes_at"),
        ({"amendable_until": soon(7200), "closes_at": soon(3600)}, "closes_at"),
        ({"closes_at": timezone.now().replace(tzinfo=None) + timedelta(days=1)}, "time zone"),
        ({"anonymous": "yes"}, "anonymous"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(make_proposal, fields, fragment):
    with pytest.raises(AppError) as caught:
        make_proposal(**fields)
    assert caught.value.code == "bad_request"
    assert fragment in caught.value.message
    assert not Proposal.objects.exists()


def test_a_proposal_needs_a_scope_and_members_need_a_room(make_user, commune):
    user = make_user()
    assert code_of(lambda: proposal_make(author=user, title="t", body="b")) == "bad_request"
    code = code_of(lambda: proposal_make(author=user, title="t", body="b", commune="97411", eligibility="members"))
    assert code == "bad_request"
    assert code_of(lambda: proposal_make(author=user, title="t", body="b", commune="99999")) == "not_found"
    assert code_of(lambda: proposal_make(author=None, title="t", body="b", commune="97411")) == "auth_required"


def test_private_room_proposals_are_for_its_members(make_user, make_room, make_proposal):
    owner, outsider = make_user(), make_user()
    room = make_room(owner, visibility="private")
    # Outsiders' writes answer as for a missing room or proposal (ids are sequential).
    assert code_of(lambda: make_proposal(author=outsider, room=room)) == "not_found"
    proposal = make_proposal(author=owner, room=room)
    assert code_of(lambda: services.vote_cast(user=outsider, proposal_id=proposal.id, choice="up")) == "not_found"
    assert code_of(lambda: selectors.proposal_get_readable(proposal_id=proposal.id, user=outsider)) == "not_found"


# --- the vote rules ---------------------------------------------------------------------------


def test_votes_count_once_per_person(make_user, make_proposal):
    proposal = make_proposal()
    voters = [make_user() for _ in range(3)]
    for voter, choice in zip(voters, ["up", "up", "white"], strict=True):
        assert services.vote_cast(user=voter, proposal_id=proposal.id, choice=choice)["choice"] == choice
    proposal.refresh_from_db()
    assert proposal.counts == {"up": 2, "down": 0, "white": 1, "uncomplet": 0}
    assert proposal.total == 3
    assert proposal.state_version == 1 + 3


def test_one_vote_per_person_is_a_database_constraint(make_user, make_proposal):
    proposal, voter = make_proposal(), make_user()
    Vote.objects.create(proposal=proposal, voter=voter, choice="up")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(proposal=proposal, voter=voter, choice="down")


def test_unknown_choice_is_bad_request(make_user, make_proposal):
    proposal = make_proposal()
    with pytest.raises(AppError) as caught:
        services.vote_cast(user=make_user(), proposal_id=proposal.id, choice="maybe")
    assert caught.value.code == "bad_request" and "up, down, white, uncomplet" in caught.value.message
    assert code_of(lambda: services.vote_cast(user=make_user(), proposal_id=proposal.id, choice=3)) == "bad_request"
    assert code_of(lambda: services.vote_cast(user=make_user(), proposal_id=10**9, choice="up")) == "not_found"


def test_change_moves_exactly_one_count_when_allowed(make_user, make_proposal):
    proposal, voter = make_proposal(can_change=True), make_user()
    services.vote_cast(user=voter, proposal_id=proposal.id, choice="up")
    result = services.vote_cast(user=voter, proposal_id=proposal.id, choice="down")
    assert result["changed"] is True
    proposal.refresh_from_db()
    assert proposal.counts == {"up": 0, "down": 1, "white": 0, "uncomplet": 0} and proposal.total == 1
    version = proposal.state_version
    services.vote_cast(user=voter, proposal_id=proposal.id, choice="down")  # same choice: nothing moves
    proposal.refresh_from_db()
    assert proposal.state_version == version and proposal.total == 1


def test_change_is_conflict_when_not_allowed(make_user, make_proposal):
    proposal, voter = make_proposal(can_change=False), make_user()
    services.vote_cast(user=voter, proposal_id=proposal.id, choice="up")
    with pytest.raises(AppError) as caught:
        services.vote_cast(user=voter, proposal_id=proposal.id, choice="down")
    assert caught.value.code == "conflict"
    proposal.refresh_from_db()
    assert proposal.counts["up"] == 1 and proposal.counts["down"] == 0 and proposal.total == 1


def test_resent_ref_is_applied_once(make_user, make_proposal):
    proposal, voter = make_proposal(can_change=False), make_user()
    first = services.vote_cast(user=voter, proposal_id=proposal.id, choice="up", ref="r1")
    again = services.vote_cast(user=voter, proposal_id=proposal.id, choice="up", ref="r1")
    assert first == again
    proposal.refresh_from_db()
    assert proposal.total == 1


def test_voting_outside_tovote_is_conflict(make_user, make_proposal):
    voter = make_user()
    draft = make_proposal(amendable_until=soon(60), closes_at=soon(3600))
    with pytest.raises(AppError) as caught:
        services.vote_cast(user=voter, proposal_id=draft.id, choice="up")
    assert caught.value.code == "conflict" and "not opened" in caught.value.message

    late = make_proposal()
    expire(late)  # past closes_at, before the scheduler has run: already closed for votes
    assert code_of(lambda: services.vote_cast(user=voter, proposal_id=late.id, choice="up")) == "conflict"
    proposals_advance()
    late.refresh_from_db()
    assert late.phase == Proposal.RESOLVED
    assert code_of(lambda: services.vote_cast(user=voter, proposal_id=late.id, choice="up")) == "conflict"

    archived = make_proposal()
    services.proposal_archive(user=archived.author, proposal_id=archived.id)
    assert code_of(lambda: services.vote_cast(user=voter, proposal_id=archived.id, choice="up")) == "conflict"
    assert Vote.objects.count() == 0


def test_anonymous_cannot_vote(make_proposal):
    proposal = make_proposal()
    assert code_of(lambda: services.vote_cast(user=None, proposal_id=proposal.id, choice="up")) == "auth_required"


# --- closing ----------------------------------------------------------------------------------


def cast(proposal, make_user, **choices):
    for choice, n in choices.items():
        for _ in range(n):
            services.vote_cast(user=make_user(), proposal_id=proposal.id, choice=choice)


def close_now(proposal):
    expire(proposal)
    proposals_advance()
    proposal.refresh_from_db()
    return proposal


def test_closing_publishes_the_result_once(make_user, make_proposal):
    proposal = make_proposal()
    cast(proposal, make_user, up=3, down=1, white=1)
    close_now(proposal)
    assert proposal.phase == Proposal.RESOLVED and proposal.result == "adopted"
    proposals_advance()  # a second tick (or process) finds nothing to do
    [closed] = events_of(proposal, "proposal.closed")
    assert closed.seq == 2
    assert closed.data["result"] == "adopted" and closed.data["reason"] == "majority"
    assert closed.data["counts"] == {"up": 3, "down": 1, "white": 1, "uncomplet": 0}
    assert closed.data["total"] == 5
    assert services.proposal_close_due(proposal_id=proposal.id) is False


def test_exactly_half_up_is_refused_at_close(make_user, make_proposal):
    proposal = make_proposal(majority=50)
    cast(proposal, make_user, up=2, down=1, uncomplet=1)
    close_now(proposal)
    assert proposal.result == "refused"
    assert proposal.outcome["up_share"] == 0.5


def test_quorum_not_reached_is_refused_and_says_so(make_user, make_proposal):
    proposal = make_proposal(quorum=4)
    cast(proposal, make_user, up=3)
    close_now(proposal)
    assert proposal.result == "refused"
    [closed] = events_of(proposal, "proposal.closed")
    assert closed.data["reason"] == "quorum"


def test_quorum_share_of_members(make_user, make_room, make_proposal):
    owner = make_user()
    room = make_room(owner)
    members = [make_user() for _ in range(3)]
    from discussions.services import room_join

    for member in members:
        room_join(user=member, room_id=room.id)
    proposal = make_proposal(author=owner, room=room, eligibility="members", quorum="50%")  # 4 eligible
    services.vote_cast(user=members[0], proposal_id=proposal.id, choice="up")
    assert selectors.proposal_tally(Proposal.objects.get(id=proposal.id))["result"]["reason"] == "quorum"
    services.vote_cast(user=members[1], proposal_id=proposal.id, choice="up")
    close_now(proposal)
    assert proposal.result == "adopted"
    assert proposal.outcome["eligible"] == 4 and proposal.outcome["turnout"] == 0.5


def test_multiple_choice_tie_says_so(make_user, make_proposal):
    proposal = make_proposal(choices=["A", "B", "C"])
    cast(proposal, make_user, c1=2, c2=2, c3=1)
    close_now(proposal)
    assert proposal.result == "refused"
    assert proposal.outcome["reason"] == "tie" and proposal.outcome["tied"] == ["c1", "c2"]


# --- amendments ---------------------------------------------------------------------------------


def test_amendments_are_voted_then_listed_when_the_vote_opens(make_user, make_proposal):
    proposal = make_proposal(amendable_until=soon(60), closes_at=soon(3600), can_change=False)
    assert proposal.phase == Proposal.AMENDABLE and events_of(proposal) == []
    alice, bob, carol = make_user(), make_user(), make_user()
    good = services.amendment_propose(author=alice, proposal_id=proposal.id, body="Ajouter un parking vélo")["id"]
    bad = services.amendment_propose(author=bob, proposal_id=proposal.id, body="Tout goudronner")["id"]
    for voter, choice in [(alice, "up"), (bob, "up"), (carol, "down")]:
        services.amendment_vote_cast(user=voter, proposal_id=proposal.id, amendment_id=good, choice=choice)
    for voter, choice in [(alice, "down"), (bob, "up"), (carol, "white")]:
        services.amendment_vote_cast(user=voter, proposal_id=proposal.id, amendment_id=bad, choice=choice)
    code = code_of(
        lambda: services.amendment_vote_cast(user=alice, proposal_id=proposal.id, amendment_id=good, choice="down")
    )
    assert code == "conflict"
    assert (
        code_of(
            lambda: services.amendment_vote_cast(
                user=alice, proposal_id=proposal.id, amendment_id=good, choice="uncomplet"
            )
        )
        == "bad_request"
    )

    expire(proposal, "amendable_until")
    proposals_advance()
    proposals_advance()
    proposal.refresh_from_db()
    assert proposal.phase == Proposal.TOVOTE and proposal.opened_at is not None
    assert Amendment.objects.get(id=good).status == Amendment.ADOPTED
    assert Amendment.objects.get(id=bad).status == Amendment.REFUSED
    kinds = [e.kind for e in events_of(proposal)]
    assert kinds == ["amendment.proposed", "amendment.proposed", "proposal.opened"]
    opened = events_of(proposal, "proposal.opened")[0]
    assert opened.data["amendments"] == [{"id": good, "body": "Ajouter un parking vélo", "status": "adopted"}]
    assert (
        code_of(lambda: services.amendment_propose(author=alice, proposal_id=proposal.id, body="trop tard"))
        == "conflict"
    )
    services.vote_cast(user=alice, proposal_id=proposal.id, choice="up")


# --- eligibility ----------------------------------------------------------------------------------


def test_eligibility_matrix(make_user, make_room, make_proposal, commune, other_commune):
    from discussions.services import room_join

    owner = make_user()
    room = make_room(owner, commune=commune)
    member = make_user()
    room_join(user=member, room_id=room.id)
    resident = make_user(home_commune=commune)
    elsewhere = make_user(home_commune=other_commune)
    stranger = make_user()

    expected = {
        "signed_in": {member: True, resident: True, elsewhere: True, stranger: True},
        "members": {member: True, resident: False, elsewhere: False, stranger: False},
        "residents": {member: False, resident: True, elsewhere: False, stranger: False},
    }
    for mode, table in expected.items():
        proposal = make_proposal(author=owner, room=room, eligibility=mode)
        for user, allowed in table.items():
            if allowed:
                services.vote_cast(user=user, proposal_id=proposal.id, choice="up")
            else:
                refused = code_of(lambda u=user, p=proposal: services.vote_cast(user=u, proposal_id=p.id, choice="up"))
                assert refused == "forbidden"
        proposal.refresh_from_db()
        assert proposal.total == sum(table.values())
        assert selectors.eligible_count(proposal) == {"signed_in": None, "members": 2, "residents": 1}[mode]
    # Residents of a commune-wide proposal (no room): the commune is the proposal's own.
    commune_wide = Proposal.objects.get(
        id=proposal_make(
            author=stranger, title="Budget participatif", body="…", commune="97416", eligibility="residents"
        )["id"]
    )
    services.vote_cast(user=elsewhere, proposal_id=commune_wide.id, choice="up")
    assert code_of(lambda: services.vote_cast(user=resident, proposal_id=commune_wide.id, choice="up")) == "forbidden"


# --- secret ballot storage ------------------------------------------------------------------------


def test_secret_vote_stores_no_choice_and_can_still_change(make_user, make_proposal):
    proposal = make_proposal(anonymous=True, can_change=True)
    voter = make_user()
    result = services.vote_cast(user=voter, proposal_id=proposal.id, choice="white", ref="secret-1")
    assert "choice" not in result
    assert not Vote.objects.filter(proposal=proposal).exists()
    assert SecretVoter.objects.filter(proposal=proposal, voter=voter).exists()
    assert not WriteReceipt.objects.filter(user=voter, ref="secret-1").exists()
    assert selectors.vote_choice_of(proposal=proposal, user=voter) == "white"
    assert selectors.vote_choice_of(proposal=proposal, user=make_user()) is None
    services.vote_cast(user=voter, proposal_id=proposal.id, choice="down")
    proposal.refresh_from_db()
    assert proposal.counts == {"up": 0, "down": 1, "white": 0, "uncomplet": 0} and proposal.total == 1
    assert selectors.vote_choice_of(proposal=proposal, user=voter) == "down"


# --- the tally snapshot ---------------------------------------------------------------------------


def test_hidden_results_show_turnout_only_until_close(make_user, make_proposal):
    proposal = make_proposal(hide_results=True)
    cast(proposal, make_user, up=2, down=1)
    state = selectors.proposal_tally_by_id(proposal.id)
    assert state["counts"] is None and state["result"] is None and state["hidden"] is True
    assert state["total"] == 3
    close_now(proposal)
    state = selectors.proposal_tally_by_id(proposal.id)
    assert state["counts"] == {"up": 2, "down": 1, "white": 0, "uncomplet": 0}
    assert state["final"] is True and state["result"]["result"] == "adopted"
    [closed] = events_of(proposal, "proposal.closed")
    assert closed.data["counts"]["up"] == 2


def test_tally_version_only_grows(make_user, make_proposal):
    proposal = make_proposal()
    versions = [selectors.proposal_tally_by_id(proposal.id)["version"]]
    for choice in ["up", "down", "white"]:
        services.vote_cast(user=make_user(), proposal_id=proposal.id, choice=choice)
        versions.append(selectors.proposal_tally_by_id(proposal.id)["version"])
    close_now(proposal)
    versions.append(selectors.proposal_tally_by_id(proposal.id)["version"])
    assert versions == sorted(set(versions))


# --- concurrency (real threads, real database) ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_and_changes_keep_exact_counts(make_user, make_proposal):
    proposal = make_proposal(can_change=True)
    voters = [make_user() for _ in range(24)]
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def run(chunk, choice):
        try:
            barrier.wait(timeout=10)
            for voter in chunk:
                services.vote_cast(user=voter, proposal_id=proposal.id, choice=choice)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def in_threads(choice_for):
        threads = [threading.Thread(target=run, args=(voters[i::8], choice_for(i))) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    in_threads(lambda i: "up" if i % 2 else "down")
    assert not errors
    proposal.refresh_from_db()
    assert proposal.counts == {"up": 12, "down": 12, "white": 0, "uncomplet": 0} and proposal.total == 24
    barrier.reset()
    in_threads(lambda i: "white")  # everybody changes: every change moves exactly one count
    assert not errors
    proposal.refresh_from_db()
    assert proposal.counts == {"up": 0, "down": 0, "white": 24, "uncomplet": 0} and proposal.total == 24
    assert proposal.state_version == 1 + 48


def test_present_mode_counts_checked_in_attendees(make_user, make_proposal, commune):
    from events import models as events_models

    now = timezone.now()
    organiser, present, registered, stranger = make_user(), make_user(), make_user(), make_user()
    event = events_models.Event.objects.create(
        title="Conseil de quartier", starts_at=now, ends_at=now + timedelta(hours=2), commune=commune
    )
    events_models.Rsvp.objects.create(event=event, user=present, status="going", checked_in_at=now)
    events_models.Rsvp.objects.create(event=event, user=registered, status="going")
    proposal = Proposal.objects.get(
        id=proposal_make(author=organiser, title="Ordre du jour", body="…", event=event.id, eligibility="present")["id"]
    )
    assert proposal.commune_id == commune.insee  # taken from the event
    services.vote_cast(user=present, proposal_id=proposal.id, choice="up")
    for user in (registered, stranger, organiser):
        assert code_of(lambda u=user: services.vote_cast(user=u, proposal_id=proposal.id, choice="up")) == "forbidden"
    assert selectors.eligible_count(proposal) == 1
    assert selectors.proposal_tally_by_id(proposal.id)["turnout"] == 1.0


def test_the_scheduler_runs_again_when_the_next_proposal_comes_due(make_proposal, settings):
    """proposals_advance returns the next known due date; the scheduler's next run is then, within
    [SCHEDULER_INTERVAL, SCHEDULER_IDLE_INTERVAL] (an idle scheduler does not query every tick)."""
    from realtime.scheduler import next_run_delay

    settings.SCHEDULER_INTERVAL, settings.SCHEDULER_IDLE_INTERVAL = 0.25, 1.0
    assert proposals_advance() is None
    assert next_run_delay(None) == 1.0
    draft = make_proposal(amendable_until=soon(0.5), closes_at=soon(3600))
    due = proposals_advance()
    assert due == Proposal.objects.get(id=draft.id).amendable_until
    assert 0.25 <= next_run_delay(due) <= 0.5
    expire(draft, "amendable_until")
    assert proposals_advance() == Proposal.objects.get(id=draft.id).closes_at  # opened: its closing is next
    assert next_run_delay(proposals_advance()) == 1.0  # an hour away: found again within the idle interval
    expire(draft)
    assert next_run_delay(proposals_advance()) == 1.0  # closed: nothing waits
    assert Proposal.objects.get(id=draft.id).phase == Proposal.RESOLVED
