"""HTTP side of proposals (PROTOCOL.md §5): create, list, detail, vote, amendments, archive, export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from proposals.models import Proposal
from proposals.scheduler import proposals_advance
from realtime.models import TopicEvent
from tests.proposals.conftest import proposal_make

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def post(user, path, payload):
    return Client().post(path, payload, "application/json", **(bearer(user) if user else {}))


def get(user, path):
    return Client().get(path, **(bearer(user) if user else {}))


def test_create_in_a_room_then_read_it(make_user, make_room):
    author = make_user("marie")
    room = make_room(author)
    closes_at = (timezone.now() + timedelta(days=2)).isoformat()
    created = post(
        author,
        "/api/proposals",
        {"title": "Pistes cyclables", "body": "Au Barachois", "room": room.id, "closes_at": closes_at, "majority": 60},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {"id": body["id"], "topic": f"proposal:{body['id']}"}

    detail = get(None, f"/api/proposals/{body['id']}").json()
    assert detail["options"] == [
        {"key": "up", "label": "Pour"},
        {"key": "down", "label": "Contre"},
        {"key": "white", "label": "Blanc"},
        {"key": "uncomplet", "label": "Incomplet"},
    ]
    assert detail["phase"] == "tovote" and detail["majority"] == 60 and detail["room"] == room.id
    assert detail["author"] == "marie" and detail["can_change"] is True and detail["my_vote"] is None
    assert detail["tally"]["counts"] == {"up": 0, "down": 0, "white": 0, "uncomplet": 0}
    assert detail["amendments"] == []


def test_vote_over_http_shows_my_vote_and_the_tally(make_user, make_proposal):
    proposal = make_proposal(can_change=False)
    voter = make_user()
    voted = post(voter, f"/api/proposals/{proposal.id}/vote", {"choice": "down", "ref": "h1"})
    assert voted.status_code == 200 and voted.json()["choice"] == "down"
    again = post(voter, f"/api/proposals/{proposal.id}/vote", {"choice": "down", "ref": "h1"})
    assert again.json() == voted.json()  # same ref: replayed, not applied twice
    changed = post(voter, f"/api/proposals/{proposal.id}/vote", {"choice": "up", "ref": "h2"})
    assert changed.status_code == 409 and changed.json()["code"] == "conflict"
    detail = get(voter, f"/api/proposals/{proposal.id}").json()
    assert detail["my_vote"] == "down" and detail["may_vote"] is True
    assert detail["tally"]["counts"]["down"] == 1 and detail["tally"]["total"] == 1
    assert get(None, f"/api/proposals/{proposal.id}").json()["my_vote"] is None


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"majority": 120}, "majority"),
        ({"choices": ["Une seule"]}, "2 to 20"),
        ({"closes_at": "2001-01-01T00:00:00+04:00"}, "closes_at"),
        ({"eligibility": "present"}, "event"),
        ({"quorum": "beaucoup"}, "quorum"),
        ({"title": ""}, "title"),
    ],
)
def test_create_refuses_bad_input(make_user, make_room, payload, fragment):
    author = make_user()
    room = make_room(author)
    response = post(author, "/api/proposals", {"title": "t", "body": "b", "room": room.id, **payload})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "bad_request" and fragment in response.json()["message"]


def test_vote_errors_over_http(make_user, make_proposal):
    proposal = make_proposal()
    voter = make_user()
    unknown = post(voter, f"/api/proposals/{proposal.id}/vote", {"choice": "peut-être", "ref": "x"})
    assert unknown.status_code == 400 and "up, down, white, uncomplet" in unknown.json()["message"]
    assert post(None, f"/api/proposals/{proposal.id}/vote", {"choice": "up"}).status_code == 401
    assert post(voter, "/api/proposals/999999/vote", {"choice": "up"}).status_code == 404
    draft = post(
        proposal.author,
        "/api/proposals",
        {
            "title": "t",
            "body": "b",
            "commune": None,
            "room": proposal.room_id,
            "amendable_until": (timezone.now() + timedelta(hours=1)).isoformat(),
            "closes_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
    ).json()
    on_draft = post(voter, f"/api/proposals/{draft['id']}/vote", {"choice": "up"})
    assert on_draft.status_code == 409 and on_draft.json()["code"] == "conflict"


def test_list_filters(make_user, make_room, make_proposal):
    author = make_user()
    room_a, room_b = make_room(author, name="A"), make_room(author, name="B")
    p1 = make_proposal(author=author, room=room_a)
    p2 = make_proposal(author=author, room=room_b)
    Proposal.objects.filter(id=p2.id).update(closes_at=timezone.now() - timedelta(seconds=1))
    proposals_advance()
    ids = lambda query: [item["id"] for item in get(None, f"/api/proposals{query}").json()["items"]]  # noqa: E731
    assert set(ids("")) == {p1.id, p2.id}
    assert ids(f"?room={room_a.id}") == [p1.id]
    assert ids("?phase=resolved") == [p2.id]
    assert get(None, "/api/proposals?phase=sleeping").status_code == 400
    private = make_room(author, name="P", visibility="private")
    hidden = make_proposal(author=author, room=private)
    assert hidden.id not in ids("")
    assert get(None, f"/api/proposals/{hidden.id}").status_code == 404
    assert hidden.id in [item["id"] for item in get(author, "/api/proposals").json()["items"]]


def test_amendments_over_http(make_user, make_proposal):
    proposal = make_proposal(
        amendable_until=timezone.now() + timedelta(hours=1), closes_at=timezone.now() + timedelta(days=1)
    )
    alice, bob = make_user(), make_user()
    created = post(alice, f"/api/proposals/{proposal.id}/amendments", {"body": "Ajouter des arceaux", "ref": "a"})
    assert created.status_code == 201
    amendment_id = created.json()["id"]
    voted = post(bob, f"/api/proposals/{proposal.id}/amendments/{amendment_id}/vote", {"choice": "up", "ref": "b"})
    assert voted.status_code == 200 and voted.json()["choice"] == "up"
    [listed] = get(bob, f"/api/proposals/{proposal.id}/amendments").json()
    assert listed["counts"] == {"up": 1, "down": 0, "white": 0} and listed["my_vote"] == "up"
    Proposal.objects.filter(id=proposal.id).update(amendable_until=timezone.now() - timedelta(seconds=1))
    proposals_advance()
    detail = get(None, f"/api/proposals/{proposal.id}").json()
    assert detail["phase"] == "tovote" and detail["amendments"][0]["status"] == "adopted"


def test_archive_is_for_the_author(make_user, make_proposal):
    proposal = make_proposal()
    assert post(make_user(), f"/api/proposals/{proposal.id}/archive", {}).status_code == 403
    archived = post(proposal.author, f"/api/proposals/{proposal.id}/archive", {})
    assert archived.status_code == 200 and archived.json()["phase"] == "archived"


def test_public_votes_and_export(make_user, make_proposal):
    proposal = make_proposal()
    voters = [make_user(f"voter{i}") for i in range(2)]
    post(voters[0], f"/api/proposals/{proposal.id}/vote", {"choice": "up"})
    post(voters[1], f"/api/proposals/{proposal.id}/vote", {"choice": "white"})
    listed = get(None, f"/api/proposals/{proposal.id}/votes").json()["items"]
    assert listed == [{"voter": "voter0", "choice": "up"}, {"voter": "voter1", "choice": "white"}]
    export = get(None, f"/api/proposals/{proposal.id}/export")
    assert export["Content-Type"].startswith("text/csv")
    text = export.content.decode()
    assert "up,Pour,1" in text and "voter1,white" in text


def test_openapi_lists_the_proposal_endpoints():
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert "/api/proposals" in paths and "/api/proposals/{proposal_id}/vote" in paths


def test_proposals_of_an_invite_only_event_are_hidden_from_outsiders(make_user):
    from events.models import Event

    organiser, outsider = make_user(), make_user()
    now = timezone.now()
    event = Event.objects.create(
        title="Réunion privée", starts_at=now, ends_at=now + timedelta(hours=1), invite_only=True
    )
    event.organisers.add(organiser)
    assert post(outsider, "/api/proposals", {"title": "t", "body": "b", "event": event.id}).status_code == 404
    proposal = Proposal.objects.get(
        id=proposal_make(author=organiser, title="Ordre du jour", body="…", event=event.id)["id"]
    )
    assert get(outsider, f"/api/proposals/{proposal.id}").status_code == 404
    assert proposal.id not in [item["id"] for item in get(outsider, "/api/proposals").json()["items"]]
    assert [item["id"] for item in get(organiser, f"/api/proposals?event={event.id}").json()["items"]] == [proposal.id]


def test_archive_takes_a_ref_and_the_rate_limit(make_user, make_proposal, settings):
    from realtime import ratelimit

    proposal = make_proposal()
    author = proposal.author
    first = post(author, f"/api/proposals/{proposal.id}/archive?ref=a1", {})
    again = post(author, f"/api/proposals/{proposal.id}/archive?ref=a1", {})
    assert (
        first.status_code == again.status_code == 200 and first.json()["phase"] == again.json()["phase"] == "archived"
    )
    assert [e.kind for e in TopicEvent.objects.filter(topic=proposal.topic)] == ["proposal.opened", "proposal.archived"]
    settings.RATE_LIMIT_BURST = 1
    settings.RATE_LIMIT_PER_SECOND = 0.1
    ratelimit._buckets.clear()
    assert post(author, f"/api/proposals/{proposal.id}/archive", {}).status_code == 200
    limited = post(author, f"/api/proposals/{proposal.id}/archive", {})
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
