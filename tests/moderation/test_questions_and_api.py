"""Co-moderation of debate questions, and the HTTP side with its bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from debates.models import Question
from debates.selectors import questions_public
from debates.services import question_ask
from moderation.models import Case, Report
from moderation.services import item_report
from proposals.services import vote_cast
from realtime.models import TopicEvent

pytestmark = pytest.mark.django_db


def call(method, user, path, payload=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {user.token}"} if user else {}
    if method == "get":
        return Client().get(path, **headers)
    return getattr(Client(), method)(path, payload or {}, "application/json", **headers)


def test_a_reported_question_leaves_the_debate_and_its_removal_erases_its_text(scene):
    asked = question_ask(author=scene.author, room_id=scene.room.id, body="une question déplacée")
    for reporter in scene.reporters[:3]:
        item_report(user=reporter, kind="question", item_id=asked["id"], reason="hors sujet")
    assert questions_public(scene.room.id)["items"] == []
    case = Case.objects.get(kind="question")
    for elector in (scene.owner, scene.moderator, scene.trusted):
        vote_cast(user=elector, proposal_id=case.proposal_id, choice="up")  # the last vote closes it
    question = Question.objects.get(id=asked["id"])
    assert question.status == Question.HIDDEN and question.body == ""
    assert "hors sujet" in question.hidden_reason  # what its author reads with their questions
    assert "déplacée" not in " ".join(str(e.data) for e in TopicEvent.objects.all())
    # The author reads that it was their question (not "your message"), removed by the vote.
    from notifications.mail import notification_text
    from notifications.models import Notification
    from notifications.services import deliveries_run

    deliveries_run()
    note = Notification.objects.get(user=scene.author, kind="moderation")
    assert note.data["action"] == "question_removed_by_vote" and "déplacée" not in str(note.data)
    assert "votre question" in notification_text(note, "fr") and "message" not in notification_text(note, "fr")
    assert "removed your question" in notification_text(note, "en")


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"kind": "message"}, "reason"),
        ({"kind": "message", "reason": "   "}, "reason"),
        ({"kind": "message", "reason": "x" * 501}, "reason"),
        ({"kind": "event", "reason": "spam"}, "kind"),
        ({"kind": "message", "reason": "spam", "item": "douze"}, "item"),
    ],
)
def test_bad_reports_are_clear_400s_and_count_nothing(scene, payload, needle):
    body = {"item": scene.message, **payload}
    response = call("post", scene.reporters[0], "/api/moderation/reports", body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "bad_request" and needle in response.json()["message"]
    assert not Report.objects.exists()


def test_reports_sanctions_queue_and_audit_over_http(scene, make_user):
    assert (
        call("post", None, "/api/moderation/reports", {"kind": "message", "item": 1, "reason": "x"}).status_code == 401
    )
    for reporter in scene.reporters[:3]:
        response = call(
            "post", reporter, "/api/moderation/reports", {"kind": "message", "item": scene.message, "reason": "spam"}
        )
        assert response.status_code == 200, response.content
    assert response.json()["hidden"] is True
    path = f"/api/moderation/rooms/{scene.room.id}"
    queue = call("get", scene.trusted, f"{path}/queue").json()["items"]
    assert queue[0]["text"] == "un texte injurieux" and queue[0]["topic"].startswith("proposal:")
    assert call("get", scene.reporters[0], f"{path}/queue").status_code == 403
    assert call("get", scene.trusted, f"{path}/audit").status_code == 403  # moderators only
    audit = call("get", scene.moderator, f"{path}/audit").json()["items"]
    assert audit[0]["action"] == "hidden" and audit[0]["subject"] == "author"
    assert audit[0]["details"] == {"reports": 3} and audit[0]["reason"] == "3 reports"

    banned = call("post", scene.moderator, f"{path}/sanctions", {"user": "r0", "kind": "ban", "reason": "spam"})
    assert banned.status_code == 200 and banned.json()["active"] is True
    assert call("get", scene.reporters[0], f"/api/rooms/{scene.room.id}/messages").status_code == 403
    for bad in (
        {"user": "r1", "kind": "mute"},
        {"user": "r1", "kind": "exile", "reason": "x"},
        {"user": "", "kind": "mute", "reason": "x"},
    ):
        response = call("post", scene.moderator, f"{path}/sanctions", bad)
        assert response.status_code == 400 and response.json()["code"] == "bad_request", bad
    assert (
        call(
            "post", scene.moderator, f"{path}/sanctions", {"user": "nobody-at-all", "kind": "mute", "reason": "x"}
        ).status_code
        == 404
    )
    settings = call("get", scene.owner, f"{path}/settings").json()
    assert settings["trusted"] == ["sure"] and settings["sanctions"][0]["user"] == "r0"
    assert call("patch", scene.owner, f"{path}/settings", {"vote_threshold": 40}).status_code == 400
    assert call("patch", scene.owner, f"{path}/settings", {"vote_threshold": 90}).json()["vote_threshold"] == 90
    mine = call("get", scene.author, "/api/moderation/mine").json()["items"]
    assert mine[0]["status"] == "open" and "text" not in mine[0]
