"""`commune:<insee>`: public news of the commune, appended by the owning apps' services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from proposals.services import proposal_close_due
from proposals.services.votes import vote_cast
from realtime.errors import AppError
from realtime.models import TopicEvent
from realtime.topics import topic_parse

TOPIC = "commune:97411"


def news(topic: str = TOPIC) -> list[tuple[str, dict]]:
    return [(e.kind, e.data) for e in TopicEvent.objects.filter(topic=topic).order_by("seq")]


@pytest.mark.django_db
def test_public_creations_are_announced_in_order(make_user, make_room, make_event, make_proposal, commune):
    alice = make_user()
    room = make_room(alice, name="Jardins partagés", commune=commune)
    event = make_event(alice, title="Marché forain", commune=commune.insee, latitude=-20.88, longitude=55.45)
    proposal = make_proposal(alice, commune=commune.insee, title="Piste cyclable")
    kinds = [kind for kind, _ in news()]
    assert kinds == ["commune.room_created", "commune.event_created", "commune.proposal_created"]
    _, room_data = news()[0]
    assert room_data["id"] == room.id and room_data["name"] == "Jardins partagés"
    _, event_data = news()[1]
    assert event_data["id"] == event.id and (event_data["latitude"], event_data["longitude"]) == (-20.88, 55.45)
    # The event's own discussion room is not news: only the event is.
    assert [d["id"] for k, d in news() if k == "commune.room_created"] == [room.id]
    assert news()[2][1]["id"] == proposal.id
    assert list(TopicEvent.objects.filter(topic=TOPIC).values_list("seq", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
def test_private_things_are_never_announced(make_user, make_room, make_event, make_proposal, commune):
    alice = make_user()
    secret = make_room(alice, name="Conseil restreint", visibility="private", commune=commune)
    make_event(alice, title="Fête privée", commune=commune.insee, invite_only=True)
    make_proposal(alice, room=secret, title="Budget confidentiel")
    make_room(alice, name="Sans commune")
    assert news() == []
    assert not TopicEvent.objects.filter(topic__startswith="commune:").exists()


@pytest.mark.django_db
def test_a_closed_vote_is_announced_with_its_result(make_user, make_proposal, commune):
    alice, bob = make_user(), make_user()
    proposal = make_proposal(alice, commune=commune.insee, title="Fermer la rue le dimanche")
    vote_cast(user=bob, proposal_id=proposal.id, choice="up")
    assert proposal_close_due(proposal_id=proposal.id, now=timezone.now() + timedelta(days=30))
    kind, data = news()[-1]
    assert kind == "commune.proposal_closed"
    assert data["id"] == proposal.id and data["result"] == "adopted" and data["total"] == 1


@pytest.mark.parametrize("topic", ["commune:97411", "commune:2A004", "commune:01001"])
def test_insee_codes_are_commune_topic_ids(topic):
    kind, insee = topic_parse(topic)
    assert kind.prefix == "commune" and insee == topic.split(":")[1]


@pytest.mark.parametrize("topic", ["commune:9741", "commune:974111", "commune:2C004", "room:01", "room:2A004"])
def test_malformed_ids_are_bad_request(topic):
    with pytest.raises(AppError) as error:
        topic_parse(topic)
    assert error.value.code == "bad_request"


async def subscribed(socket, topic, **extra):
    await socket.send({"type": "subscribe", "topic": topic, "ref": "sub", **extra})
    return await socket.recv_until(lambda f: f["type"] in ("subscribed", "error"))


@pytest.mark.django_db(transaction=True)
async def test_anyone_follows_the_commune_live_and_resumes_with_since(connect, make_user, make_room, commune):
    alice = await database_sync_to_async(make_user)()
    await database_sync_to_async(make_room)(alice, name="Premier salon", commune=commune)
    anonymous = await connect()
    answer = await subscribed(anonymous, TOPIC, since=0)
    assert answer["type"] == "subscribed" and answer["seq"] == 1
    replayed = await anonymous.recv_until(lambda f: f["type"] == "event")
    assert replayed["seq"] == 1 and replayed["data"]["name"] == "Premier salon"
    await database_sync_to_async(make_room)(alice, name="Deuxième salon", commune=commune)
    live = await anonymous.recv_until(lambda f: f["type"] == "event")
    assert live["seq"] == 2 and live["kind"] == "commune.room_created" and live["data"]["name"] == "Deuxième salon"
    missing = await subscribed(anonymous, "commune:99999")
    assert missing["type"] == "error" and missing["code"] == "not_found"


@pytest.mark.django_db
def test_past_decisions_filter_by_result(client, make_user, make_proposal, commune):
    alice, bob = make_user(), make_user()
    later = timezone.now() + timedelta(days=30)
    kept = make_proposal(alice, commune=commune.insee, title="Adoptée")
    vote_cast(user=bob, proposal_id=kept.id, choice="up")
    dropped = make_proposal(alice, commune=commune.insee, title="Refusée")
    vote_cast(user=bob, proposal_id=dropped.id, choice="down")
    make_proposal(alice, commune=commune.insee, title="Encore ouverte")
    for proposal in (kept, dropped):
        proposal_close_due(proposal_id=proposal.id, now=later)
    resolved = client.get("/api/proposals", {"commune": commune.insee, "phase": "resolved"}).json()["items"]
    assert {p["title"]: p["result"] for p in resolved} == {"Adoptée": "adopted", "Refusée": "refused"}
    adopted = client.get("/api/proposals", {"commune": commune.insee, "result": "adopted"}).json()["items"]
    assert [p["title"] for p in adopted] == ["Adoptée"]
    bad = client.get("/api/proposals", {"commune": commune.insee, "result": "maybe"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"
