"""Outcomes and actions: who may write them, when, and the events they publish where."""

from __future__ import annotations

import pytest

from accounts.services import user_erase
from discussions.services import room_join, room_member_add
from outcomes.inputs import ActionIn, ActionPatch
from outcomes.models import Assignee
from outcomes.selectors import actions_list
from outcomes.services import action_create, action_update, action_volunteer, outcome_state
from realtime.errors import AppError
from realtime.models import TopicEvent

pytestmark = pytest.mark.django_db


def events(topic: str, kind: str) -> list[dict]:
    return [e.data for e in TopicEvent.objects.filter(topic=topic, kind=kind).order_by("seq")]


def test_the_author_states_the_outcome_once_the_vote_closed(make_user, make_proposal, decided):
    author = make_user("marie")
    running = make_proposal(author=author)
    with pytest.raises(AppError) as refused:
        outcome_state(user=author, proposal_id=running.id, statement="Trop tôt")
    assert refused.value.code == "conflict"

    proposal = decided(author=author)
    outcome_state(user=author, proposal_id=proposal.id, statement="Adopté : on commence lundi.")
    outcome_state(user=author, proposal_id=proposal.id, statement="Adopté : on commence mardi.")
    stated = events(proposal.topic, "outcome.stated")
    assert [e["statement"] for e in stated] == ["Adopté : on commence lundi.", "Adopté : on commence mardi."]
    assert stated[-1]["author"] == "marie" and stated[-1]["proposal"] == proposal.id


def test_only_the_author_and_the_room_moderators_steer_a_decision(make_user, make_room, decided, commune):
    owner, moderator, member = make_user(), make_user(), make_user()
    room = make_room(owner, commune=commune)
    room_member_add(by=owner, room_id=room.id, user=moderator, role="moderator")
    room_join(user=member, room_id=room.id)
    proposal = decided(author=member, room=room)
    for outsider in (make_user(),):
        with pytest.raises(AppError) as refused:
            outcome_state(user=outsider, proposal_id=proposal.id, statement="Non")
        assert refused.value.code == "forbidden"
        with pytest.raises(AppError) as refused:
            action_create(user=outsider, proposal_id=proposal.id, action=ActionIn(title="Non"))
        assert refused.value.code == "forbidden"
    outcome_state(user=moderator, proposal_id=proposal.id, statement="Décidé par la modération")
    made = action_create(user=owner, proposal_id=proposal.id, action=ActionIn(title="Par le propriétaire"))
    assert made["title"] == "Par le propriétaire" and made["status"] == "todo" and made["version"] == 1


def test_an_action_is_announced_on_the_proposal_the_room_and_the_commune(make_user, decided):
    author, lucie = make_user("marie"), make_user("lucie")
    proposal = decided(author=author)
    made = action_create(
        user=author,
        proposal_id=proposal.id,
        action=ActionIn(title="Acheter les semences", due="2027-03-01", assignees=["Lucie"]),
    )
    expected = {
        "id": made["id"],
        "proposal": proposal.id,
        "proposal_title": proposal.title,
        "title": "Acheter les semences",
        "status": "todo",
        "due": "2027-03-01",
        "assignees": [{"user": "lucie", "volunteered": False}],
        "version": 1,
    }
    assert made == expected
    for topic in (proposal.topic, proposal.room.topic, "commune:97411"):
        assert events(topic, "action.created") == [expected], topic
    from notifications.models import DeliveryJob

    told = DeliveryJob.objects.get(kind="action_assigned")  # lucie learns the action is hers
    assert told.recipients == [lucie.id] and told.data["title"] == "Acheter les semences"
    assert told.subject == proposal.topic
    updated = action_update(user=lucie, action_id=made["id"], patch=ActionPatch(status="doing"))
    assert updated["status"] == "doing" and updated["version"] == 2
    for topic in (proposal.topic, proposal.room.topic, "commune:97411"):
        assert events(topic, "action.updated") == [updated], topic


def test_a_private_rooms_actions_stay_off_the_commune_and_away_from_outsiders(make_user, make_room, decided, commune):
    owner, outsider = make_user(), make_user("dehors")
    room = make_room(owner, visibility="private", commune=commune)
    proposal = decided(author=owner, room=room)
    with pytest.raises(AppError) as refused:  # naming someone who cannot read the proposal
        action_create(user=owner, proposal_id=proposal.id, action=ActionIn(title="Secret", assignees=["dehors"]))
    assert refused.value.code == "bad_request" and "dehors" in refused.value.message
    made = action_create(user=owner, proposal_id=proposal.id, action=ActionIn(title="Secret"))
    assert events("commune:97411", "action.created") == []
    assert events(room.topic, "action.created")[0]["title"] == "Secret"
    with pytest.raises(AppError) as refused:
        action_volunteer(user=outsider, action_id=made["id"])
    assert refused.value.code == "not_found" and "Secret" not in refused.value.message
    assert list(actions_list(user=outsider, commune="97411")) == []
    assert [a.id for a in actions_list(user=owner, commune="97411")] == [made["id"]]


def test_people_volunteer_once_and_withdraw_assignees_only_move_the_status(make_user, decided):
    author, jean, other = make_user(), make_user("jean"), make_user()
    proposal = decided(author=author)
    made = action_create(user=author, proposal_id=proposal.id, action=ActionIn(title="Défricher"))
    joined = action_volunteer(user=jean, action_id=made["id"])
    assert joined["assignees"] == [{"user": "jean", "volunteered": True}] and joined["version"] == 2
    with pytest.raises(AppError) as twice:
        action_volunteer(user=jean, action_id=made["id"])
    assert twice.value.code == "conflict"
    assert Assignee.objects.filter(action_id=made["id"]).count() == 1
    with pytest.raises(AppError) as renaming:
        action_update(user=jean, action_id=made["id"], patch=ActionPatch(title="Autre chose"))
    assert renaming.value.code == "forbidden"
    with pytest.raises(AppError) as stranger:
        action_update(user=other, action_id=made["id"], patch=ActionPatch(status="done"))
    assert stranger.value.code == "forbidden"
    assert action_update(user=jean, action_id=made["id"], patch=ActionPatch(status="done"))["status"] == "done"
    with pytest.raises(AppError) as done:
        action_volunteer(user=other, action_id=made["id"])
    assert done.value.code == "conflict"
    left = action_volunteer(user=jean, action_id=made["id"], withdraw=True)
    assert left["assignees"] == [] and left["version"] == 4
    with pytest.raises(AppError) as not_on:
        action_volunteer(user=jean, action_id=made["id"], withdraw=True)
    assert not_on.value.code == "conflict"


def test_erasing_an_account_takes_its_name_off_the_actions(make_user, decided):
    author, lucie = make_user(), make_user("lucie")
    lucie.set_password("un-mot-de-passe")
    lucie.save()
    proposal = decided(author=author)
    made = action_create(user=author, proposal_id=proposal.id, action=ActionIn(title="Semer", assignees=["lucie"]))
    user_erase(user=lucie, password="un-mot-de-passe")
    assert not Assignee.objects.filter(action_id=made["id"]).exists()
    stored = events(proposal.topic, "action.created")[0]
    assert stored["assignees"] == [{"user": "deleted user", "volunteered": False}]


def test_a_status_change_tells_the_assignees_and_the_author_not_who_made_it(make_user, decided):
    from notifications.mail import notification_text
    from notifications.models import DeliveryJob, Notification

    author, lucie, jean = make_user("marie"), make_user("lucie"), make_user("jean")
    proposal = decided(author=author)
    made = action_create(user=author, proposal_id=proposal.id, action=ActionIn(title="Semer", assignees=["lucie"]))
    action_volunteer(user=jean, action_id=made["id"])
    DeliveryJob.objects.all().delete()
    action_update(user=lucie, action_id=made["id"], patch=ActionPatch(status="done"))
    told = DeliveryJob.objects.get(kind="action_updated")
    assert told.recipients == sorted([author.id, jean.id])  # not lucie, who moved it
    assert (told.data["action"], told.data["actor"], told.data["title"]) == ("done", "lucie", "Semer")
    assert told.subject == proposal.topic
    note = Notification(kind="action_updated", data=told.data)
    assert notification_text(note, "fr") == f"lucie a terminé l'action « Semer » ({proposal.title})"
    assert notification_text(note, "en") == f"lucie finished the action “Semer” ({proposal.title})"
    # A patch that leaves the status as it was, or changes only the title, tells nobody.
    action_update(user=author, action_id=made["id"], patch=ActionPatch(status="done", title="Semer les fèves"))
    action_update(user=author, action_id=made["id"], patch=ActionPatch(title="Semer les pois"))
    assert DeliveryJob.objects.filter(kind="action_updated").count() == 1
    # The author moving it back tells the assignees only.
    action_update(user=author, action_id=made["id"], patch=ActionPatch(status="todo"))
    back = DeliveryJob.objects.filter(kind="action_updated").order_by("-id").first()
    assert back.recipients == sorted([lucie.id, jean.id]) and back.data["action"] == "todo"


@pytest.mark.parametrize("follow", ["outcome", "action"])
def test_a_decision_followed_by_an_outcome_or_actions_does_not_reopen(make_user, decided, follow):
    from datetime import timedelta

    from django.utils import timezone

    from proposals.models import Proposal
    from proposals.services import proposal_reopen

    author = make_user()
    proposal = decided(author=author)
    if follow == "outcome":
        outcome_state(user=author, proposal_id=proposal.id, statement="Adopté.")
    else:
        action_create(user=author, proposal_id=proposal.id, action=ActionIn(title="Planter"))
    before = Proposal.objects.get(id=proposal.id)
    with pytest.raises(AppError) as refused:
        proposal_reopen(user=author, proposal_id=proposal.id, closes_at=timezone.now() + timedelta(days=1), reason="x")
    assert refused.value.code == "conflict" and "cannot reopen" in refused.value.message
    assert ("outcome was stated" in refused.value.message) == (follow == "outcome")
    assert ("1 action(s)" in refused.value.message) == (follow == "action")
    after = Proposal.objects.get(id=proposal.id)
    assert (after.phase, after.result, after.state_version) == (before.phase, before.result, before.state_version)
    assert events(proposal.topic, "proposal.reopened") == []


def test_a_decision_without_outcome_or_actions_still_reopens(make_user, decided):
    from datetime import timedelta

    from django.utils import timezone

    from proposals.services import proposal_reopen

    author = make_user()
    proposal = decided(author=author)
    reply = proposal_reopen(
        user=author, proposal_id=proposal.id, closes_at=timezone.now() + timedelta(days=1), reason="x"
    )
    assert reply["reason"] == "x"
    with pytest.raises(AppError) as refused:  # and, open again, takes no outcome nor action
        action_create(user=author, proposal_id=proposal.id, action=ActionIn(title="Trop tôt"))
    assert refused.value.code == "conflict"
