"""A commune's moderation over real sockets: two daphne processes sharing Redis and the
database. Three reports hide a commune-wide proposal everywhere; the commune's referent hears the
case on `communemod:<insee>` from the other process; replay carries no text; and the referent
who stops being one loses the topic live. A second proposal, decided with an outcome and an
action, is removed by the referent's vote: no frame replayed from the start, on any topic it
reached, carries any of its texts."""

from __future__ import annotations

import asyncio

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

TITLE = "Fermer la médiathèque aux jeunes des quartiers"
BODY = "Un texte qui exclut une partie des habitants"
DECIDED = "Réserver la piscine aux anciens du centre"
STATEMENT = "Décidé : la piscine pour le centre seulement"
ACTION = "Poser un panneau réservé aux gens du centre"


def event_of(topic: str, kind: str):
    return lambda f: f["type"] == "event" and f["topic"] == topic and f["kind"] == kind


async def test_a_commune_wide_proposal_is_judged_by_its_referents_live(live_stack):
    stack = live_stack(processes=2, redis=True)
    stack.run_python(
        "from communes.models import Commune\n"
        "Commune.objects.get_or_create(insee='97411', defaults={'name': 'Saint-Denis', "
        "'postal_codes': ['97400'], 'department': '974'})\nprint(json.dumps(1))"
    )
    (referent_name, t_referent), (_, t_author), (_, t_other), *reporters = stack.create_users(6)
    stack.run_python(
        "from django.contrib.auth import get_user_model\nfrom communes.services import referent_grant\n"
        f"referent_grant(insee='97411', user=get_user_model().objects.get(username={referent_name!r}))\n"
        "print(json.dumps(1))"
    )
    with stack.http(1, t_author) as http:
        made = http.post("/api/proposals", json={"title": TITLE, "body": BODY, "commune": "97411"})
        assert made.status_code == 201, made.text
    proposal, topic = made.json()["id"], made.json()["topic"]
    queue_topic = "communemod:97411"
    async with (
        await LiveSocket.open(stack.ws_url(1), t_referent) as referent,
        await LiveSocket.open(stack.ws_url(0), t_other) as other,
    ):
        assert (await referent.subscribe(queue_topic))["type"] == "subscribed"
        refused = await other.subscribe(queue_topic)
        assert refused["type"] == "error" and refused["code"] == "forbidden"
        sockets = [await LiveSocket.open(stack.ws_url(0), token) for _, token in reporters]
        try:
            replies = await asyncio.gather(
                *(
                    s.request({"type": "report", "topic": topic, "item": proposal, "reason": "excluant"})
                    for s in sockets
                )
            )
        finally:
            for s in sockets:
                await s.close()
        assert sorted(r["data"]["hidden"] for r in replies) == [False, False, True], replies
        opened = await referent.wait_for(event_of(queue_topic, "case.opened"))
        assert opened["data"]["item"] == proposal and opened["data"]["reports"] == 3
        await referent.wait_for(event_of(queue_topic, "audit.added"))

        # Nobody replays its text: the commune's news and its own topic, from the start.
        async with await LiveSocket.open(stack.ws_url(0), t_other) as newcomer:
            head = (await newcomer.subscribe("commune:97411", since=0))["seq"]
            await newcomer.wait_seq("commune:97411", head)
            assert newcomer.events("commune:97411", "commune.proposal_created")
            assert TITLE not in str(newcomer.frames) and BODY not in str(newcomer.frames)
        with stack.http(0, t_referent) as http:
            [case] = http.get("/api/moderation/communes/97411/queue").json()["items"]
            assert case["commune"] == "97411" and TITLE in case["text"]
        with stack.http(0, t_other) as http:
            assert http.get("/api/moderation/communes/97411/queue").status_code == 403

        # Staff take the role back: the former referent loses the topic, live, on its process.
        stack.run_python(
            "from communes.models import Referent\n"
            f"Referent.objects.filter(user__username={referent_name!r}).delete()\nprint(json.dumps(1))"
        )
        gone = await referent.wait_for(lambda f: f["type"] == "unsubscribed" and f["topic"] == queue_topic)
        assert gone["code"] == "forbidden"
        again = await referent.subscribe(queue_topic)
        assert again["type"] == "error" and again["code"] == "forbidden"
    with stack.http(1, t_referent) as http:
        assert http.get("/api/moderation/communes/97411/queue").status_code == 403


async def replayed(url: str, token: str, topics: list[str]) -> str:
    """Every frame a newcomer gets replaying `topics` from the start."""
    async with await LiveSocket.open(url, token) as newcomer:
        for topic in topics:
            head = (await newcomer.subscribe(topic, since=0))["seq"]
            if head:
                await newcomer.wait_seq(topic, head)
        return str(newcomer.frames)


async def test_removal_leaves_no_text_in_any_replayed_frame(live_stack):
    stack = live_stack(processes=2, redis=True)
    stack.run_python(
        "from communes.models import Commune\n"
        "Commune.objects.get_or_create(insee='97411', defaults={'name': 'Saint-Denis', "
        "'postal_codes': ['97400'], 'department': '974'})\nprint(json.dumps(1))"
    )
    users = stack.create_users(6)
    (referent_name, t_referent), (_, t_author), (helper_name, t_helper), *reporters = users
    stack.run_python(
        "from django.contrib.auth import get_user_model\nfrom communes.services import referent_grant\n"
        f"referent_grant(insee='97411', user=get_user_model().objects.get(username={referent_name!r}))\n"
        "print(json.dumps(1))"
    )
    with stack.http(0, t_author) as http:
        made = http.post("/api/proposals", json={"title": DECIDED, "body": BODY, "commune": "97411"}).json()
        proposal, topic = made["id"], made["topic"]
        assert http.post(f"/api/proposals/{proposal}/close").status_code == 200
        assert http.put(f"/api/outcomes/{proposal}", json={"statement": STATEMENT}).status_code == 200
        action = http.post("/api/actions", json={"proposal": proposal, "title": ACTION, "assignees": [helper_name]})
        assert action.status_code == 201, action.text
    with stack.http(1, t_helper) as http:
        helper_topic = f"user:{http.get('/api/auth/me').json()['id']}"  # the action's notice reached it
    topics = ["commune:97411", topic, helper_topic]
    before = await replayed(stack.ws_url(1), t_helper, topics)
    assert DECIDED in before and STATEMENT in before and ACTION in before

    for index, (_, token) in enumerate(reporters):
        with stack.http(index % 2, token) as http:
            answer = http.post("/api/moderation/reports", json={"kind": "proposal", "item": proposal, "reason": "x"})
            assert answer.status_code == 200, answer.text
    async with await LiveSocket.open(stack.ws_url(1), t_referent) as referent:
        with stack.http(1, t_referent) as http:
            [case] = http.get("/api/moderation/communes/97411/queue").json()["items"]
        assert (await referent.subscribe(topic))["type"] == "error"  # hidden: referents read the queue
        assert (await referent.request({"type": "vote", "topic": case["topic"], "choice": "up"}))["type"] == "ok"
        with stack.http(0, t_referent) as http:
            removed = http.get("/api/moderation/communes/97411/queue?status=removed").json()["items"]
            assert [c["item"] for c in removed] == [proposal]
    topics = [t for t in topics if t != topic]  # its own topic is not found for anyone now
    for index, token in ((0, t_helper), (1, t_author), (0, t_referent)):
        mine = [t for t in topics if token == t_helper or not t.startswith("user:")]
        frames = await replayed(stack.ws_url(index), token, mine)
        assert not [text for text in (DECIDED, BODY, STATEMENT, ACTION) if text in frames], index
        with stack.http(index, token) as http:
            answers = " ".join(
                http.get(path).text
                for path in (f"/api/proposals/{proposal}", f"/api/outcomes/{proposal}", "/api/actions?commune=97411")
            )
            assert not [text for text in (DECIDED, BODY, STATEMENT, ACTION) if text in answers]
