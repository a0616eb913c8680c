"""Debate mode over HTTP and the socket: permissions (scan every answer and frame for what a
participant must never see), bad input with clear errors, CSV export, QR code, demo data."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.test import Client

from debates import services
from debates.models import Question
from debates.selectors import questions_public

SECRETS = ("Propos déplacé", "Question à valider", "motif secret", "anonyme-auteur")


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def _seed(room, moderator, make_user) -> dict:
    """An anonymous question and a visible one; then, under pre-moderation, one hidden before it
    was ever approved and one still pending: those two were never visible to participants."""
    shy, rude, bob = make_user("anonyme-auteur"), make_user("rude"), make_user("bob")
    ids = {
        "anonymous": services.question_ask(author=shy, room_id=room.id, body="Question discrète", anonymous=True)["id"],
        "visible": services.question_ask(author=bob, room_id=room.id, body="Question ouverte")["id"],
    }
    services.debate_configure(user=moderator, room_id=room.id, premoderation=True)
    ids["hidden"] = services.question_ask(author=rude, room_id=room.id, body="Propos déplacé")["id"]
    services.question_moderate(
        user=moderator, room_id=room.id, question_id=ids["hidden"], action="hide", reason="motif secret"
    )
    ids["pending"] = services.question_ask(author=rude, room_id=room.id, body="Question à valider")["id"]
    return ids


@pytest.mark.django_db
def test_http_answers_never_carry_hidden_pending_or_anonymous_authors(debate_room, make_user):
    room, moderator = debate_room
    _seed(room, moderator, make_user)
    participant = make_user("participant")
    for client, headers in ((Client(), {}), (Client(), bearer(participant))):
        for path in (f"/api/debates/{room.id}", f"/api/debates/{room.id}/questions", f"/api/debates/{room.id}/queue"):
            response = client.get(path, **headers)
            assert response.status_code == 200, (path, response.content)
            text = json.dumps(response.json(), ensure_ascii=False)
            assert "Question discrète" in text or path != f"/api/debates/{room.id}/questions"
            for secret in SECRETS:
                assert secret not in text, (path, secret)
        denied = client.get(f"/api/debates/{room.id}/questions?view=moderation", **headers)
        assert denied.status_code in (401, 403) and denied.json()["code"] in ("forbidden", "auth_required")
        assert client.get(f"/api/debates/{room.id}/speaking.csv", **headers).status_code in (401, 403)
    full = json.dumps(
        Client().get(f"/api/debates/{room.id}/questions?view=moderation", **bearer(moderator)).json(),
        ensure_ascii=False,
    )
    for secret in SECRETS:
        assert secret in full


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "payload", "code"),
    [
        ("questions", {"body": ""}, "bad_request"),
        ("questions", {"body": "x" * 501}, "bad_request"),
        ("questions/999999/upvote", {}, "not_found"),
        ("floor/next", {}, "conflict"),
        ("floor/end", {}, "conflict"),
        ("floor/give", {"user": "nobody"}, "not_found"),
        ("hand/lower", {}, "conflict"),
    ],
)
def test_bad_input_is_a_clear_error_over_http(debate_room, path, payload, code):
    room, moderator = debate_room
    before = Question.objects.count()
    response = Client().post(
        f"/api/debates/{room.id}/{path}", json.dumps(payload), content_type="application/json", **bearer(moderator)
    )
    assert response.status_code in (400, 404, 409), response.content
    assert response.json()["code"] == code and response.json()["message"]
    assert Question.objects.count() == before


@pytest.mark.django_db
def test_raise_twice_and_close_a_closed_vote_over_http(debate_room, make_user):
    room, moderator = debate_room
    ana = make_user("ana")
    client = Client()
    assert client.post(f"/api/debates/{room.id}/hand", "{}", "application/json", **bearer(ana)).status_code == 200
    twice = client.post(f"/api/debates/{room.id}/hand", "{}", "application/json", **bearer(ana))
    assert twice.status_code == 409 and twice.json()["code"] == "conflict"
    opened = client.post(
        f"/api/debates/{room.id}/votes",
        json.dumps({"title": "On continue ?", "body": "Encore un quart d'heure.", "eligibility": "signed_in"}),
        "application/json",
        **bearer(moderator),
    )
    assert opened.status_code == 201, opened.content
    proposal = opened.json()["id"]
    first = client.post(f"/api/proposals/{proposal}/close", "{}", "application/json", **bearer(moderator))
    assert first.status_code == 200 and first.json()["result"] in ("adopted", "refused")
    again = client.post(f"/api/proposals/{proposal}/close", "{}", "application/json", **bearer(moderator))
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def _open_over_http(room, moderator, **fields):
    body = {"title": "Que faire de la friche ?", "body": ".", "eligibility": "signed_in", **fields}
    return Client().post(f"/api/debates/{room.id}/votes", json.dumps(body), "application/json", **bearer(moderator))


@pytest.mark.django_db
def test_a_ranked_quick_vote_counts_first_preferences_live_and_rounds_at_closing(debate_room, make_user):
    """Every ballot kind opens on the spot; ranked choice here (the README's worked example 4)."""
    from debates.models import Debate
    from proposals.selectors import proposal_tally_by_id
    from proposals.services import vote_cast

    room, moderator = debate_room
    opened = _open_over_http(room, moderator, kind="ranked", choices=["A", "B", "C", "D"])
    assert opened.status_code == 201, opened.content
    proposal = opened.json()["id"]
    assert Debate.objects.get(room=room).current_vote_id == proposal
    ballots = 4 * [["c1", "c2"]] + 3 * [["c2", "c3"]] + 2 * [["c3", "c2"]] + 2 * [["c4"]]
    for n, ranking in enumerate(ballots):
        vote_cast(user=make_user(f"votant{n}"), proposal_id=proposal, ballot={"ranking": ranking})
    live = proposal_tally_by_id(proposal)
    assert (live["kind"], live["counts"], live["result"]) == ("ranked", {"c1": 4, "c2": 3, "c3": 2, "c4": 2}, None)
    closed = Client().post(f"/api/proposals/{proposal}/close", "{}", "application/json", **bearer(moderator))
    assert closed.status_code == 200, closed.content
    final = proposal_tally_by_id(proposal)["result"]
    assert (final["result"], final["winner"], final["condorcet_winner"]) == ("adopted", "c2", "c2")
    assert [r["eliminated"] for r in final["rounds"]] == ["c4", "c3", None]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "ranked"}, "needs `choices`"),
        ({"kind": "consent", "choices": ["Oui", "Non"]}, "has its own options"),
        ({"kind": "dot", "choices": ["A", "B"], "points": 0}, "points"),
        ({"kind": "score", "choices": ["A", "B"], "scale_min": 4, "scale_max": 2}, "scale_min"),
        ({"kind": "approval", "choices": ["A", "B"], "max_choices": 3}, "cannot exceed"),
        ({"kind": "vote", "points": 5}, "belongs to a dot ballot"),
    ],
)
def test_a_quick_vote_of_a_kind_with_bad_settings_is_refused_and_nothing_opens(debate_room, fields, words):
    from debates.models import Debate
    from proposals.models import Proposal

    room, moderator = debate_room
    response = _open_over_http(room, moderator, **fields)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "bad_request" and words in response.json()["message"]
    assert Proposal.objects.count() == 0
    assert Debate.objects.filter(room=room, current_vote__isnull=False).count() == 0


@pytest.mark.django_db
def test_speaking_time_csv_and_qr_code(debate_room, make_user):
    room, moderator = debate_room
    ana = make_user("ana")
    services.hand_raise(user=ana, room_id=room.id)
    services.floor_next(user=moderator, room_id=room.id)
    services.floor_end(user=moderator, room_id=room.id)
    csv_text = Client().get(f"/api/debates/{room.id}/speaking.csv", **bearer(moderator)).content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0] == "user,turns,seconds" and lines[1].startswith("ana,1,")
    qr = Client().get(f"/api/debates/{room.id}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in qr.content


@pytest.mark.django_db
def test_demo_data_has_a_debate_with_questions_and_a_queue():
    call_command("load_demo")
    from debates.models import Debate, Hand

    debate = Debate.objects.get(room__name__startswith="Place de la Mairie")
    assert Question.objects.filter(debate=debate).count() == 3
    assert Hand.objects.filter(debate=debate).count() == 2
    vote = debate.current_vote  # a consent vote on the spot, for the big screen
    assert (vote.kind, vote.phase, vote.total) == ("consent", "tovote", 2)


@pytest.mark.django_db(transaction=True)
async def test_participant_frames_never_carry_secrets_and_moderation_topic_is_refused(connect, debate_room, make_user):
    room, moderator = await database_sync_to_async(lambda: debate_room)()
    participant = await database_sync_to_async(make_user)("participant")
    watcher = await connect(participant)
    anonymous_reader = await connect(None)
    mod_socket = await connect(moderator)
    for socket in (watcher, anonymous_reader):
        await socket.send({"type": "subscribe", "topic": f"moderation:{room.id}", "ref": "m"})
        refused = await socket.recv_until(lambda f: f.get("ref") == "m")
        assert refused["type"] == "error" and refused["code"] in ("forbidden", "auth_required")
    for socket in (watcher, anonymous_reader):
        for topic in (f"debate:{room.id}", f"floor:{room.id}"):
            await socket.send({"type": "subscribe", "topic": topic, "ref": topic})
            await socket.recv_until(lambda f, t=topic: f.get("ref") == t)
    await mod_socket.send({"type": "subscribe", "topic": f"moderation:{room.id}", "ref": "m"})
    assert (await mod_socket.recv_until(lambda f: f.get("ref") == "m"))["type"] == "subscribed"

    ids = await database_sync_to_async(_seed)(room, moderator, make_user)
    final_version = (await database_sync_to_async(questions_public)(room.id))["version"]
    # A participant's own moderation attempt is refused over the socket too.
    await watcher.send(
        {"type": "moderate", "topic": f"debate:{room.id}", "question": ids["visible"], "action": "pin", "ref": "p"}
    )
    frames = {watcher: [], anonymous_reader: []}
    refused = await _collect_until(watcher, lambda f: f.get("ref") == "p", frames[watcher])
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    for socket, seen in frames.items():
        # Until the reader holds the final ranking; then everything it received is scanned.
        last = next((f for f in seen if _final_questions(f, final_version)), None)
        if last is None:
            last = await _collect_until(socket, lambda f: _final_questions(f, final_version), seen)
        assert {q["id"] for q in last["data"]["items"]} == {ids["visible"], ids["anonymous"]}
        assert next(q for q in last["data"]["items"] if q["id"] == ids["anonymous"])["author"] is None
        # Two visible questions asked: two id-only events; nothing about the two never shown.
        asked = [f["data"] for f in seen if f["type"] == "event" and f["topic"] == f"debate:{room.id}"]
        assert asked == [{"id": ids["anonymous"]}, {"id": ids["visible"]}]
        text = json.dumps(seen, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in text, secret
    mod_frames: list[dict] = []
    seen = await _collect_until(mod_socket, lambda f: _final_questions(f, final_version), mod_frames)
    assert {q["status"] for q in seen["data"]["items"]} == {"visible", "hidden", "pending"}
    assert "anonyme-auteur" in json.dumps(mod_frames)


def _final_questions(frame: dict, version: int) -> bool:
    return frame["type"] == "state" and frame["kind"] == "questions" and frame["data"]["version"] >= version


async def _collect_until(socket, predicate, sink: list[dict]) -> dict:
    while True:
        frame = await socket.recv(10)
        sink.append(frame)
        if predicate(frame):
            return frame
