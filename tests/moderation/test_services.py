"""Co-moderation services: reports, hiding, the secret vote, keep or remove, mute and ban."""

from __future__ import annotations

import pytest

from discussions.models import Message
from discussions.selectors import message_as_dict
from discussions.services import message_post
from moderation.inputs import PolicyIn
from moderation.models import AuditEntry, Case, Report
from moderation.selectors import cases_about, room_audit, room_queue
from moderation.services import item_report, member_sanction, policy_set
from proposals.models import Proposal, SecretBallot, Vote
from proposals.selectors import proposal_get_readable, proposal_list
from proposals.services import proposal_close_now, vote_cast
from realtime.errors import AppError
from realtime.models import TopicEvent

pytestmark = pytest.mark.django_db


def events(topic: str, kind: str | None = None) -> list[TopicEvent]:
    rows = TopicEvent.objects.filter(topic=topic).order_by("seq")
    return list(rows.filter(kind=kind) if kind else rows)


def hidden_by_three(scene) -> Case:
    for reporter in scene.reporters[:3]:
        item_report(user=reporter, kind="message", item_id=scene.message, reason="insulte")
    return Case.objects.get(kind="message", item=scene.message)


def test_the_same_person_twice_counts_once_and_three_people_hide_the_message(scene):
    first = item_report(user=scene.reporters[0], kind="message", item_id=scene.message, reason="insulte")
    again = item_report(user=scene.reporters[0], kind="message", item_id=scene.message, reason="encore")
    assert (first["counted"], again["counted"]) == (True, False)
    second = item_report(user=scene.reporters[1], kind="message", item_id=scene.message, reason="insulte")
    assert Report.objects.filter(item=scene.message).count() == 2 and not second["hidden"]
    assert Message.objects.get(id=scene.message).hidden_at is None  # two people, not three

    third = item_report(user=scene.reporters[2], kind="message", item_id=scene.message, reason="haineux")
    assert third == {"kind": "message", "item": scene.message, "counted": True, "hidden": True}
    message = Message.objects.get(id=scene.message)
    assert message.hidden_at is not None and message.body == "un texte injurieux"  # kept for the vote
    assert message_as_dict(message)["body"] == "" and message_as_dict(message)["hidden"] is True
    assert [e.data for e in events(scene.room.topic, "message.hidden")] == [{"id": scene.message}]
    posted = events(scene.room.topic, "message.posted")[0].data
    assert posted["body"] == "" and posted["redacted"] is True  # nobody replays the text meanwhile

    case = Case.objects.get(kind="message", item=scene.message)
    vote = case.proposal
    assert vote.eligibility == Proposal.ELECTORS and vote.anonymous and vote.majority == 75
    electors = set(vote.electors.values_list("user__username", flat=True))
    assert electors == {"owner", "modo", "sure"}  # moderators and trusted members, not the author
    assert [e.kind for e in events(f"moderation:{scene.room.id}") if e.kind != "audit.added"] == ["case.opened"]
    assert AuditEntry.objects.filter(action="hidden", item=scene.message).count() == 1
    # Hidden, it is out of everyone's reach, reports included.
    with pytest.raises(AppError) as gone:
        item_report(user=scene.reporters[3], kind="message", item_id=scene.message, reason="idem")
    assert gone.value.code == "not_found" and Case.objects.count() == 1


def test_the_moderation_vote_is_secret_and_read_by_its_electors_only(scene):
    case = hidden_by_three(scene)
    vote = case.proposal
    for elector in (scene.owner, scene.moderator):
        assert vote_cast(user=elector, proposal_id=vote.id, choice="up") == {"proposal": vote.id, "voted": True}
    assert Vote.objects.filter(proposal=vote).count() == 0  # no public ballot row names anyone
    assert SecretBallot.objects.filter(proposal=vote).exclude(holder="").count() == 2
    for outsider in (scene.author, scene.reporters[0]):
        with pytest.raises(AppError) as hidden:
            proposal_get_readable(proposal_id=vote.id, user=outsider)
        assert hidden.value.code == "not_found"
        with pytest.raises(AppError) as refused:
            vote_cast(user=outsider, proposal_id=vote.id, choice="down")
        assert refused.value.code == "not_found"
    assert vote.id not in [p.id for p in proposal_list(user=scene.owner, room=scene.room.id)]
    assert not events("commune:97411")  # never announced
    proposal_close_now(user=scene.moderator, proposal_id=vote.id)
    # The link between voters and ballots dies at closing.
    assert SecretBallot.objects.filter(proposal=vote).exclude(holder="").count() == 0


def test_the_moderation_vote_closes_when_the_last_elector_votes_once(scene):
    case = hidden_by_three(scene)
    vote = case.proposal
    assert vote.electorate_size == 3
    vote_cast(user=scene.owner, proposal_id=vote.id, choice="up")
    vote_cast(user=scene.moderator, proposal_id=vote.id, choice="down")
    vote_cast(user=scene.moderator, proposal_id=vote.id, choice="up")  # a change is not a new voter
    assert Proposal.objects.get(id=vote.id).phase == Proposal.TOVOTE and not events(vote.topic, "proposal.closed")
    vote_cast(user=scene.trusted, proposal_id=vote.id, choice="up")  # the last one: closes it
    closed = events(vote.topic, "proposal.closed")
    assert len(closed) == 1 and closed[0].data["all_voted"] is True and closed[0].data["result"] == "adopted"
    assert "by" not in closed[0].data  # nobody closed it
    case.refresh_from_db()
    assert case.status == Case.REMOVED and len(events(f"moderation:{scene.room.id}", "case.decided")) == 1
    with pytest.raises(AppError) as late:  # once closed, a change of mind is refused
        vote_cast(user=scene.owner, proposal_id=vote.id, choice="down")
    assert late.value.code == "conflict"
    with pytest.raises(AppError) as again:
        proposal_close_now(user=scene.owner, proposal_id=vote.id)
    assert again.value.code == "conflict" and len(events(vote.topic, "proposal.closed")) == 1


def test_an_ordinary_proposal_does_not_close_when_everyone_voted(make_user, make_room):
    from discussions.services import room_join
    from proposals.inputs import ProposalIn
    from proposals.services import proposal_create

    owner, member = make_user(), make_user()
    room = make_room(owner)
    room_join(user=member, room_id=room.id)
    made = proposal_create(
        author=owner, proposal=ProposalIn(title="Bancs", body="Des bancs", room=room.id, eligibility="members")
    )
    for person in (owner, member):
        vote_cast(user=person, proposal_id=made["id"], choice="up")
    row = Proposal.objects.get(id=made["id"])
    assert (row.electorate_size, row.total, row.phase) == (2, 2, Proposal.TOVOTE)  # runs to its date


def test_removal_redacts_the_text_from_replay_and_tells_the_author_why(scene):
    case = hidden_by_three(scene)
    for elector, choice in ((scene.owner, "up"), (scene.moderator, "up"), (scene.trusted, "up")):
        vote_cast(user=elector, proposal_id=case.proposal_id, choice=choice)  # the last vote closes it
    case.refresh_from_db()
    assert case.status == Case.REMOVED and "100 %" in case.decision and "insulte" in case.decision
    message = Message.objects.get(id=scene.message)
    assert message.deleted_at is not None and message.body == ""
    stored = " ".join(str(e.data) for e in TopicEvent.objects.all())
    assert "injurieux" not in stored  # in no replay of any topic
    assert [e.kind for e in events(scene.room.topic)][-1] == "message.deleted"
    assert events(f"moderation:{scene.room.id}", "case.decided")[0].data["decision"] == "removed"
    told = cases_about(scene.author)
    assert told[0]["status"] == "removed" and "insulte" in told[0]["decision"]
    from notifications.models import DeliveryJob

    job = DeliveryJob.objects.get(kind="moderation")  # the author is notified, with why, without the text
    assert job.recipients == [scene.author.id] and "insulte" in job.data["excerpt"]
    assert "injurieux" not in str(job.data) and job.data["url"] == f"/#/room/{scene.room.id}"
    audit_log = room_audit(scene.room)
    assert [entry["action"] for entry in audit_log][:2] == ["removed", "hidden"]
    # Structured facts for clients to phrase in their language; the English sentence stays.
    assert audit_log[0]["details"] == {"verdict": "removed", "share": 100, "majority": 75, "reasons": ["insulte"] * 3}
    assert audit_log[1]["details"] == {"reports": 3} and audit_log[1]["reason"] == "3 reports"
    from notifications.mail import notification_text
    from notifications.models import Notification
    from notifications.services import deliveries_run

    deliveries_run()
    note = Notification.objects.get(user=scene.author, kind="moderation")
    assert (note.data["action"], note.data["outcome"], note.data["item_kind"]) == (
        "message_removed_by_vote",
        "removed",
        "message",
    )
    assert "vote de modération" in notification_text(note, "fr") and "votre message" in notification_text(note, "fr")
    assert "moderation vote" in notification_text(note, "en") and "injurieux" not in notification_text(note, "en")
    # The same vote reopened and closed again changes nothing.
    from moderation.services import case_decide_on_close

    case_decide_on_close(proposal=Proposal.objects.get(id=case.proposal_id))
    assert AuditEntry.objects.filter(action="removed").count() == 1


def test_a_vote_short_of_the_threshold_keeps_the_message_and_shows_it_again(scene):
    case = hidden_by_three(scene)
    for elector, choice in ((scene.owner, "up"), (scene.moderator, "up"), (scene.trusted, "down")):
        vote_cast(user=elector, proposal_id=case.proposal_id, choice=choice)  # all voted: 67 % < 75 %
    case.refresh_from_db()
    assert case.status == Case.KEPT
    restored = events(scene.room.topic, "message.restored")[0].data
    assert restored["body"] == "un texte injurieux" and restored["author"] == "author"
    assert message_as_dict(Message.objects.get(id=scene.message))["body"] == "un texte injurieux"
    with pytest.raises(AppError) as again:
        item_report(user=scene.reporters[3], kind="message", item_id=scene.message, reason="encore")
    assert again.value.code == "conflict"
    # The author is told it was kept too, with the share and the reasons, in their language.
    from notifications.mail import notification_text
    from notifications.models import DeliveryJob, Notification
    from notifications.services import deliveries_run

    job = DeliveryJob.objects.get(kind="moderation")
    assert job.recipients == [scene.author.id] and job.data["action"] == "message_kept"
    assert (job.data["outcome"], job.data["share"], job.data["majority"]) == ("kept", 67, 75)
    assert "insulte" in job.data["excerpt"] and "injurieux" not in str(job.data)
    deliveries_run()
    note = Notification.objects.get(user=scene.author, kind="moderation")
    assert "a gardé votre message signalé" in notification_text(note, "fr")
    assert "kept your reported message" in notification_text(note, "en")
    assert AuditEntry.objects.get(action="kept").details["verdict"] == "kept"


def test_what_one_may_not_read_cannot_be_reported_and_says_nothing(scene, make_user, make_room):
    from discussions.services import message_post as post

    owner = make_user()
    private = make_room(owner, visibility="private")
    secret = post(author=owner, room_id=private.id, body="entre nous")["id"]
    outsider = make_user()
    answers = []
    for item in (secret, 999_999):
        with pytest.raises(AppError) as refused:
            item_report(user=outsider, kind="message", item_id=item, reason="x")
        answers.append((refused.value.code, refused.value.message.replace(str(item), "N")))
    assert answers[0] == answers[1] == ("not_found", "message N does not exist")
    assert not Report.objects.exists()
    with pytest.raises(AppError) as own:
        item_report(user=scene.author, kind="message", item_id=scene.message, reason="moi")
    assert own.value.code == "conflict"


def test_a_room_sets_its_thresholds_and_its_queue_shows_the_hidden_text(scene):
    with pytest.raises(AppError) as refused:
        policy_set(user=scene.trusted, room_id=scene.room.id, policy=PolicyIn(report_threshold=1))
    assert refused.value.code == "forbidden"
    assert (
        policy_set(user=scene.moderator, room_id=scene.room.id, policy=PolicyIn(report_threshold=1))["report_threshold"]
        == 1
    )
    assert item_report(user=scene.reporters[0], kind="message", item_id=scene.message, reason="spam")["hidden"]
    queue = room_queue(scene.room)
    assert queue[0]["text"] == "un texte injurieux" and queue[0]["reasons"] == ["spam"]
    assert queue[0]["author"] == "author" and queue[0]["reports"] == 1


def test_mute_and_ban(scene):
    with pytest.raises(AppError) as refused:
        member_sanction(user=scene.trusted, room_id=scene.room.id, username="author", kind="mute", reason="x")
    assert refused.value.code == "forbidden"
    with pytest.raises(AppError) as moderator:
        member_sanction(user=scene.owner, room_id=scene.room.id, username="modo", kind="ban", reason="x")
    assert moderator.value.code == "conflict"

    member_sanction(user=scene.moderator, room_id=scene.room.id, username="author", kind="mute", reason="calme")
    with pytest.raises(AppError) as muted:
        message_post(author=scene.author, room_id=scene.room.id, body="encore")
    assert muted.value.code == "forbidden" and "muted" in muted.value.message
    member_sanction(user=scene.moderator, room_id=scene.room.id, username="author", kind="mute", lift=True)
    message_post(author=scene.author, room_id=scene.room.id, body="pardon")
    from notifications.services import deliveries_run

    deliveries_run()  # as on commit: the notices about the room go out while the author may read it

    member_sanction(user=scene.moderator, room_id=scene.room.id, username="author", kind="ban", reason="récidive")
    with pytest.raises(AppError) as banned:
        message_post(author=scene.author, room_id=scene.room.id, body="re")
    assert banned.value.code == "forbidden" and "banned" in banned.value.message
    actions = [entry["action"] for entry in room_audit(scene.room)]
    assert actions[:3] == ["banned", "unmuted", "muted"]

    # The person hears each decision about them, in their language, not who made it; a ban's
    # notice names no topic (they may no longer read the room) yet is delivered.
    from notifications.mail import notification_text
    from notifications.models import Notification

    deliveries_run()
    told = list(Notification.objects.filter(user=scene.author, kind="moderation").order_by("id"))
    assert [(n.data["action"], n.subject) for n in told] == [
        ("muted", scene.room.topic),
        ("unmuted", scene.room.topic),
        ("banned", ""),
    ]
    assert notification_text(told[2], "fr").endswith("récidive") and "exclu" in notification_text(told[2], "fr")
    assert "muted you" in notification_text(told[0], "en") and "moderator" not in told[0].data
    assert not Notification.objects.filter(kind="moderation").exclude(user=scene.author).exists()


def test_a_hidden_message_is_not_found_by_search(scene):
    from search.selectors import search

    def found():
        return [hit.id for hit in search(user=scene.owner, q="injurieux", kinds=["messages"])[0]]

    assert found() == [scene.message]
    hidden_by_three(scene)
    assert found() == []
