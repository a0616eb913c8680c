"""A reported proposal: hidden at the threshold (not_found to all but the room's moderators,
its text out of every stored event, notification and search), then kept or removed by the
room's moderation vote, its author told why."""

from __future__ import annotations

import pytest

from discussions.services import room_join, room_member_add
from moderation.models import AuditEntry, Case
from moderation.selectors import room_queue
from moderation.services import item_report, member_trust
from notifications.models import DeliveryJob, Notification
from notifications.services import deliveries_run
from outcomes.inputs import ActionIn
from outcomes.services import action_create
from proposals.models import Proposal
from proposals.selectors import proposal_get_readable, proposal_list
from proposals.services import proposal_close_now, vote_cast
from realtime.errors import AppError
from realtime.models import TopicEvent
from search.selectors import search
from tests.proposals.conftest import commune, make_proposal, proposal_make  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

TITLE = "Interdire les chiens du voisin"
BODY = "Un texte insultant sur les voisins"


@pytest.fixture
def stage(make_user, make_room, commune):  # noqa: F811
    owner, moderator, trusted, author = make_user("owner"), make_user("modo"), make_user("sure"), make_user("author")
    room = make_room(owner, name="Quartier", commune=commune)
    room_member_add(by=owner, room_id=room.id, user=moderator, role="moderator")
    room_join(user=trusted, room_id=room.id)
    room_join(user=author, room_id=room.id)
    member_trust(user=owner, room_id=room.id, username="sure")
    created = proposal_make(author=author, room=room.id, title=TITLE, body=BODY, eligibility="members")
    reporters = [make_user(f"r{i}") for i in range(4)]
    return {
        "room": room,
        "owner": owner,
        "moderator": moderator,
        "trusted": trusted,
        "author": author,
        "proposal": Proposal.objects.get(id=created["id"]),
        "reporters": reporters,
    }


def stored_text() -> str:
    rows = [str(e.data) for e in TopicEvent.objects.all()]
    rows += [str(n.data) for n in Notification.objects.all()] + [str(j.data) for j in DeliveryJob.objects.all()]
    return " ".join(rows)


def hide(stage) -> Case:
    for reporter in stage["reporters"][:3]:
        item_report(user=reporter, kind="proposal", item_id=stage["proposal"].id, reason="insultant")
    return Case.objects.get(kind="proposal", item=stage["proposal"].id)


def test_three_reports_hide_a_proposal_once_and_its_text_leaves_every_store(stage):
    proposal = stage["proposal"]
    vote_cast(user=stage["trusted"], proposal_id=proposal.id, choice="up")
    deliveries_run()  # the members were told the vote opened, with its title
    assert TITLE in stored_text()
    assert TITLE in str(TopicEvent.objects.get(kind="commune.proposal_created").data)
    first = item_report(user=stage["reporters"][0], kind="proposal", item_id=proposal.id, reason="insultant")
    again = item_report(user=stage["reporters"][0], kind="proposal", item_id=proposal.id, reason="encore")
    assert (first["counted"], again["counted"], again["hidden"]) == (True, False, False)
    item_report(user=stage["reporters"][1], kind="proposal", item_id=proposal.id, reason="insultant")
    assert Proposal.objects.get(id=proposal.id).hidden_at is None  # two people, not three
    third = item_report(user=stage["reporters"][2], kind="proposal", item_id=proposal.id, reason="haineux")
    assert third == {"kind": "proposal", "item": proposal.id, "counted": True, "hidden": True}
    row = Proposal.objects.get(id=proposal.id)
    assert row.hidden_at is not None and (row.title, row.body) == (TITLE, BODY)  # kept for the vote
    assert [e.kind for e in TopicEvent.objects.filter(topic=proposal.topic, kind="proposal.hidden")] == [
        "proposal.hidden"
    ]
    assert TITLE not in stored_text() and BODY not in stored_text()
    news = TopicEvent.objects.get(kind="commune.proposal_created").data
    assert news["id"] == proposal.id and news["title"] == "" and news["phase"] == "tovote"
    # Out of reach for all but the room's moderators (and staff): the author and a member included.
    for outsider in (stage["author"], stage["trusted"], stage["reporters"][3]):
        with pytest.raises(AppError) as gone:
            proposal_get_readable(proposal_id=proposal.id, user=outsider)
        assert gone.value.code == "not_found" and TITLE not in gone.value.message
    with pytest.raises(AppError) as gone:
        item_report(user=stage["reporters"][3], kind="proposal", item_id=proposal.id, reason="idem")
    assert gone.value.code == "not_found"
    assert proposal_get_readable(proposal_id=proposal.id, user=stage["moderator"]).title == TITLE
    assert proposal.id not in [p.id for p in proposal_list(user=stage["owner"], room=stage["room"].id)]
    hits, _ = search(user=stage["owner"], q="chiens voisin")
    assert [h for h in hits if h.kind == "proposals"] == []
    # Its judges read the text in the queue; the vote is among moderators and trusted members.
    [case] = room_queue(stage["room"])
    assert case["kind"] == "proposal" and TITLE in case["text"] and case["author"] == "author"
    vote = Proposal.objects.get(id=case["proposal"])
    assert set(vote.electors.values_list("user__username", flat=True)) == {"owner", "modo", "sure"}


def test_removal_erases_the_text_stops_the_vote_and_tells_the_author_why(stage):
    proposal = stage["proposal"]
    case = hide(stage)
    for elector in (stage["owner"], stage["moderator"], stage["trusted"]):
        vote_cast(user=elector, proposal_id=case.proposal_id, choice="up")  # the last one closes it
    case.refresh_from_db()
    assert case.status == Case.REMOVED
    row = Proposal.objects.get(id=proposal.id)
    assert (row.title, row.body, row.phase) == ("", "", Proposal.ARCHIVED) and row.hidden_at is not None
    assert [e.kind for e in TopicEvent.objects.filter(topic=proposal.topic)][-1] == "proposal.removed"
    assert TITLE not in stored_text() and BODY not in stored_text()
    with pytest.raises(AppError) as gone:  # removed: for good
        proposal_get_readable(proposal_id=proposal.id, user=stage["author"])
    assert gone.value.code == "not_found"
    job = DeliveryJob.objects.get(kind="moderation")
    assert job.recipients == [stage["author"].id] and job.data["action"] == "proposal_removed_by_vote"
    assert "insultant" in job.data["reason"] and TITLE not in str(job.data)
    from notifications.mail import notification_text

    note = Notification(kind="moderation", data=job.data)
    assert "votre proposition" in notification_text(note, "fr")
    assert "removed your proposal" in notification_text(note, "en")
    assert AuditEntry.objects.filter(action="removed", kind="proposal").count() == 1


def test_a_kept_proposal_reads_again_for_everyone(stage):
    proposal = stage["proposal"]
    case = hide(stage)
    for elector, choice in ((stage["owner"], "down"), (stage["moderator"], "down"), (stage["trusted"], "up")):
        vote_cast(user=elector, proposal_id=case.proposal_id, choice=choice)
    case.refresh_from_db()
    assert case.status == Case.KEPT
    row = proposal_get_readable(proposal_id=proposal.id, user=stage["author"])
    assert (row.title, row.hidden_at, row.phase) == (TITLE, None, Proposal.TOVOTE)
    assert TopicEvent.objects.filter(topic=proposal.topic, kind="proposal.restored").count() == 1
    assert proposal.id in [p.id for p in proposal_list(user=stage["reporters"][3], room=stage["room"].id)]
    job = DeliveryJob.objects.get(kind="moderation")
    assert job.data["action"] == "proposal_kept" and job.data["url"] == f"/#/proposal/{proposal.id}"
    with pytest.raises(AppError) as again:  # kept: not reported again
        item_report(user=stage["reporters"][3], kind="proposal", item_id=proposal.id, reason="encore")
    assert again.value.code == "conflict"


def test_actions_of_a_decided_proposal_lose_its_title_when_it_is_hidden(stage):
    proposal = stage["proposal"]
    proposal_close_now(user=stage["author"], proposal_id=proposal.id)
    action_create(user=stage["author"], proposal_id=proposal.id, action=ActionIn(title="Afficher", assignees=["sure"]))
    assert TITLE in str(TopicEvent.objects.filter(kind="action.created").first().data)
    hide(stage)
    for event in TopicEvent.objects.filter(kind__in=["action.created", "commune.proposal_closed"]):
        assert TITLE not in str(event.data) and event.data["id"], event.topic
    assert TITLE not in stored_text()


def test_what_cannot_be_reported(stage, make_user, make_proposal):  # noqa: F811
    author = stage["author"]
    with pytest.raises(AppError) as own:
        item_report(user=author, kind="proposal", item_id=stage["proposal"].id, reason="moi")
    assert own.value.code == "conflict"
    with pytest.raises(AppError) as missing:
        item_report(user=stage["reporters"][0], kind="proposal", item_id=999999, reason="x")
    assert missing.value.code == "not_found"
    case = hide(stage)
    with pytest.raises(AppError) as vote:  # the moderation vote itself is not reportable
        item_report(user=stage["owner"], kind="proposal", item_id=case.proposal_id, reason="x")
    assert vote.value.code == "bad_request"
