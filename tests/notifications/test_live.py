"""The personal topic on real daphne processes through a real Redis: once per tab, in order, replayed."""

from __future__ import annotations

import pytest

from tests.live import LiveSocket

pytestmark = pytest.mark.e2e


def _notifications(socket: LiveSocket, topic: str) -> list[int]:
    return [f["seq"] for f in socket.events(topic, "notification.created")]


async def test_two_tabs_on_two_processes_get_each_notification_once_in_order_and_replay_survives_redis(live_stack):
    stack = live_stack(processes=2, redis=True)
    (alice, alice_token), (bob, bob_token) = stack.create_users(2)
    with stack.http(0, alice_token) as client:
        topic = f"user:{client.get('/api/auth/me').json()['id']}"
    bob_http = stack.http(0, bob_token)
    room = bob_http.post("/api/rooms", json={"name": "Kartié"}).json()["id"]

    def mention(n: int) -> None:
        assert bob_http.post(f"/api/rooms/{room}/messages", json={"body": f"@{alice} n°{n}"}).status_code == 201

    tab_a = await LiveSocket.open(stack.ws_url(0), alice_token)
    tab_b = await LiveSocket.open(stack.ws_url(1), alice_token)
    try:
        for tab in (tab_a, tab_b):
            assert (await tab.subscribe(topic))["seq"] == 0
        for n in range(1, 4):
            mention(n)
        for tab in (tab_a, tab_b):
            await tab.wait_seq(topic, 3)
            assert _notifications(tab, topic) == [1, 2, 3]
        await tab_b.close()  # tab B goes offline

        mention(4)
        await tab_a.wait_seq(topic, 4)
        stack.redis_stop()
        mention(5)
        stack.redis_start()  # an empty Redis: what it dropped comes back through the sweep
        mention(6)
        await tab_a.wait_seq(topic, 6, timeout=20)

        tab_b = await LiveSocket.open(stack.ws_url(1), alice_token)
        replayed = await tab_b.subscribe(topic, since=3)
        assert replayed["seq"] >= 6
        mention(7)
        await tab_b.wait_seq(topic, 7, timeout=20)
        await tab_a.wait_seq(topic, 7, timeout=20)
        assert _notifications(tab_a, topic) == [1, 2, 3, 4, 5, 6, 7]
        assert _notifications(tab_b, topic) == [4, 5, 6, 7]
        bodies = [f["data"]["data"]["excerpt"] for f in tab_b.events(topic, "notification.created")]
        assert bodies == [f"@{alice} n°{n}" for n in range(4, 8)]
        unread = await tab_b.wait_for(lambda f: f["type"] == "state" and f["data"].get("unread") == 7)
        assert unread["kind"] == "unread"
    finally:
        await tab_a.close()
        await tab_b.close()
        bob_http.close()


async def test_waitlist_promotion_reaches_the_promoted_person_with_only_their_personal_topic(live_stack):
    stack = live_stack(processes=2, redis=True)
    (organiser, organiser_token), (seated, seated_token), (waiting, waiting_token) = stack.create_users(3)
    with stack.http(0, organiser_token) as client:
        event = client.post(
            "/api/events",
            json={
                "title": "Atelier vélo",
                "starts_at": "2031-03-01T09:00:00",
                "ends_at": "2031-03-01T12:00:00",
                "capacity": 1,
            },
        ).json()
    rsvp = f"/api/events/{event['id']}/rsvp"
    with stack.http(0, seated_token) as client:
        assert client.post(rsvp, json={"status": "going"}).json()["status"] == "going"
    with stack.http(1, waiting_token) as client:
        topic = f"user:{client.get('/api/auth/me').json()['id']}"
        assert client.post(rsvp, json={"status": "going"}).json()["status"] == "waitlisted"
    socket = await LiveSocket.open(stack.ws_url(1), waiting_token)
    try:
        await socket.subscribe(topic)  # no event page open: only the personal topic
        # The seated person leaves; the waiting one is promoted on process 0, learns it on process 1.
        with stack.http(0, seated_token) as client:
            assert client.post(rsvp, json={"status": "declined"}).status_code == 200
        frame = await socket.wait_for(lambda f: f["type"] == "event" and f["kind"] == "notification.created")
        assert frame["data"]["kind"] == "waitlist_promoted"
        assert frame["data"]["data"]["event"] == event["id"]
        assert [f["topic"] for f in socket.frames if f["type"] == "event"] == [topic]
    finally:
        await socket.close()
