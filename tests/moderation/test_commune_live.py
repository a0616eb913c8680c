"""A commune's moderation over real sockets: two daphne processes sharing Redis and the
database. Three reports hide a commune-wide proposal everywhere; the commune's referent hears the
case on `communemod:<insee>` from the other process; replay carries no text; and the referent
who stops being one loses the topic live."""

from __future__ import annotations

import asyncio

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

TITLE = "Fermer la médiathèque aux jeunes des quartiers"
BODY = "Un texte qui exclut une partie des habitants"


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
