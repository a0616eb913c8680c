"""A reported proposal over real sockets: two daphne processes sharing Redis and the database."""

from __future__ import annotations

import asyncio

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

TITLE = "Chasser les voisins du quartier"
BODY = "Un texte haineux envers les voisins"


def event_of(topic: str, kind: str):
    return lambda f: f["type"] == "event" and f["topic"] == topic and f["kind"] == kind


def lost(topic: str):
    return lambda f: f["type"] == "unsubscribed" and f["topic"] == topic


async def test_three_reports_on_two_processes_hide_a_proposal_once_everywhere_and_removal_erases_it(live_stack):
    stack = live_stack(processes=2, redis=True)
    stack.run_python(
        "from communes.models import Commune\n"
        "Commune.objects.get_or_create(insee='97411', defaults={'name': 'Saint-Denis', "
        "'postal_codes': ['97400'], 'department': '974'})\nprint(json.dumps(1))"
    )
    (_, t_owner), (_, t_author), (_, t_reader), *reporters = stack.create_users(6)
    with stack.http(0, t_owner) as http:
        room = http.post("/api/rooms", json={"name": "Quartier", "visibility": "public", "commune": "97411"}).json()
    with stack.http(1, t_author) as http:
        made = http.post("/api/proposals", json={"title": TITLE, "body": BODY, "room": room["id"]})
        assert made.status_code == 201, made.text
    proposal, topic = made.json()["id"], made.json()["topic"]
    async with (
        await LiveSocket.open(stack.ws_url(0), t_author) as author,
        await LiveSocket.open(stack.ws_url(1), t_reader) as reader,
        await LiveSocket.open(stack.ws_url(0)) as anonymous,
        await LiveSocket.open(stack.ws_url(1), t_owner) as owner,
    ):
        readers = (author, reader, anonymous)
        for socket in (*readers, owner):
            assert (await socket.subscribe(topic))["type"] == "subscribed"
        sockets = [await LiveSocket.open(stack.ws_url(i % 2), token) for i, (_, token) in enumerate(reporters)]
        try:
            replies = await asyncio.gather(
                *(s.request({"type": "report", "topic": topic, "item": proposal, "reason": "haine"}) for s in sockets)
            )
        finally:
            for s in sockets:
                await s.close()
        assert [r["type"] for r in replies] == ["ok"] * 3, replies
        assert sorted(r["data"]["hidden"] for r in replies) == [False, False, True]  # the third hides it

        # The room's moderator keeps the topic and hears it once; everyone else loses it, live.
        await owner.wait_for(event_of(topic, "proposal.hidden"))
        for socket in readers:
            gone = await socket.wait_for(lost(topic))
            assert gone["code"] == "forbidden" and gone["ref"] is None  # access re-checks fail closed
        for socket in (*readers, owner):
            await socket.request({"type": "ping"})
        assert len(owner.events(topic, "proposal.hidden")) == 1
        for socket in readers:
            assert len(socket.events(topic, "proposal.hidden")) <= 1
            assert len([f for f in socket.frames if lost(topic)(f)]) == 1
        again = await reader.subscribe(topic)
        assert again["type"] == "error" and again["code"] == "not_found"
        for index, token in ((1, t_author), (0, t_reader), (1, None)):
            with stack.http(index, token) as http:
                response = http.get(f"/api/proposals/{proposal}")
                assert response.status_code == 404 and response.json()["code"] == "not_found"
                assert TITLE not in response.text
        with stack.http(0, t_owner) as http:
            seen = http.get(f"/api/proposals/{proposal}").json()
            assert (seen["title"], seen["hidden"]) == (TITLE, True)
            case = http.get(f"/api/moderation/rooms/{room['id']}/queue").json()["items"][0]
            assert case["kind"] == "proposal" and TITLE in case["text"]

        # A newcomer replays the commune's news and the proposal from the start: no text.
        async with await LiveSocket.open(stack.ws_url(1), t_owner) as newcomer:
            for replayed in ("commune:97411", topic):
                head = (await newcomer.subscribe(replayed, since=0))["seq"]
                await newcomer.wait_seq(replayed, head)
            assert newcomer.events("commune:97411", "commune.proposal_created")
            assert TITLE not in str(newcomer.frames) and BODY not in str(newcomer.frames)

        # The owner, the only elector, votes to remove: the vote closes, the text is erased.
        vote = await owner.request({"type": "vote", "topic": case["topic"], "choice": "up"})
        assert vote["type"] == "ok"
        await owner.wait_for(event_of(topic, "proposal.removed"))
    stored = stack.run_python(
        "from realtime.models import TopicEvent\nfrom proposals.models import Proposal\n"
        "from notifications.models import Notification\n"
        f"row = Proposal.objects.get(id={proposal})\n"
        "texts = ' '.join(str(e.data) for e in TopicEvent.objects.all())\n"
        "texts += ' '.join(str(n.data) for n in Notification.objects.all())\n"
        "print(json.dumps([row.title, row.body, row.phase, texts]))"
    )
    title, body, phase, texts = stored
    assert (title, body, phase) == ("", "", "archived")
    assert TITLE not in texts and BODY not in texts
    with stack.http(1, t_author) as http:
        told = http.get("/api/moderation/mine").json()["items"][0]
        assert (told["kind"], told["status"]) == ("proposal", "removed") and "haine" in told["decision"]
