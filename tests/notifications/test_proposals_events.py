"""Proposals and events notify the people they concern, and nobody else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions.models import Membership
from events.inputs import EventPatch
from events.services import event_cancel, event_update, rsvp_set
from events.services.notices import events_starting_notify
from notifications import services
from notifications.models import Notification
from proposals.inputs import ProposalIn
from proposals.models import Proposal
from proposals.notices import proposals_closing_notify
from proposals.services import proposal_close_due, proposal_close_now, proposal_create, proposal_reopen, vote_cast
from realtime.schemas import input_parse

pytestmark = pytest.mark.django_db


def _kinds_of(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


def _members_proposal(author, room, **fields) -> Proposal:
    proposal = ProposalIn(
        title="Composteur", body="Un composteur partagé ?", room=room.id, eligibility="members", **fields
    )
    return Proposal.objects.get(id=proposal_create(author=author, proposal=proposal)["id"])


def test_a_members_proposal_notifies_its_members_only_then_reminds_non_voters_and_tells_voters_the_result(
    make_user, make_room, django_capture_on_commit_callbacks
):
    author, voter, idle, outsider = (make_user(n) for n in ("author", "voter", "idle", "outsider"))
    room = make_room(author, visibility="private")
    for user in (voter, idle):
        Membership.objects.create(room=room, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = _members_proposal(author, room, closes_at=timezone.now() + timedelta(hours=5))
    vote_cast(user=voter, proposal_id=proposal.id, choice=proposal.option_keys[0])
    assert proposals_closing_notify() == 1
    assert proposals_closing_notify() == 0  # once
    proposal_close_due(proposal_id=proposal.id, now=proposal.closes_at + timedelta(seconds=1))
    services.deliveries_run()
    assert _kinds_of(voter) == ["proposal_opened", "proposal_result"]
    assert _kinds_of(idle) == ["proposal_opened", "proposal_closing"]
    assert _kinds_of(author) == ["proposal_closing"]  # eligible, not told of their own opening
    assert _kinds_of(outsider) == []  # not eligible: nothing at all


def test_a_reopened_vote_tells_only_the_undecided_and_reminds_them_again_before_its_new_end(make_user, make_room):
    author, voter, idle, outsider = (make_user(n) for n in ("author2", "voter2", "idle2", "outsider2"))
    room = make_room(author, visibility="private")
    for user in (voter, idle):
        Membership.objects.create(room=room, user=user)
    proposal = _members_proposal(author, room, closes_at=timezone.now() + timedelta(hours=5))
    vote_cast(user=voter, proposal_id=proposal.id, choice=proposal.option_keys[0])
    assert proposals_closing_notify() == 1
    proposal_close_now(user=author, proposal_id=proposal.id)
    services.deliveries_run()
    before = {user.username: _kinds_of(user) for user in (author, voter, idle, outsider)}

    proposal_reopen(
        user=author, proposal_id=proposal.id, closes_at=timezone.now() + timedelta(hours=6), reason="Peu de votants"
    )
    services.deliveries_run()
    new = {user.username: _kinds_of(user)[len(before[user.username]) :] for user in (author, voter, idle, outsider)}
    # The electorate fixed at the opening: author, voter, idle; the voter has voted, the author reopened it.
    assert new == {"author2": [], "voter2": [], "idle2": ["proposal_opened"], "outsider2": []}
    told = Notification.objects.filter(user=idle).latest("id")
    assert told.data["reopened"] is True and told.data["reason"] == "Peu de votants"
    assert proposals_closing_notify() == 1  # a new end: the undecided are reminded once more
    assert proposals_closing_notify() == 0
    services.deliveries_run()
    assert _kinds_of(voter)[len(before["voter2"]) :] == []


def test_event_changes_reach_those_concerned_and_the_hour_before_once(make_user, make_event):
    organiser, going, declined = make_user("organiser"), make_user("going"), make_user("declined")
    event = make_event(organiser, capacity=10, starts_at=timezone.now() + timedelta(minutes=30))
    rsvp_set(user=going, event_id=event.id, status="going")
    rsvp_set(user=declined, event_id=event.id, status="declined")
    assert events_starting_notify() == 1
    assert events_starting_notify() == 0
    event_update(by=organiser, event_id=event.id, changes=input_parse(EventPatch, {"description": "Salle des fêtes"}))
    event_cancel(by=organiser, event_id=event.id, reason="pluie")
    services.deliveries_run()
    assert _kinds_of(going) == ["event_starting", "event_updated", "event_cancelled"]
    assert _kinds_of(declined) == [] and _kinds_of(organiser) == []
