"""Live re-authorisation: when access changes, subscriptions already open lose the topic, on
every process (two real daphne processes sharing Redis), with `unsubscribed` + `code: forbidden`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def is_revoked(topic: str):
    return lambda f: f["type"] == "unsubscribed" and f["topic"] == topic and f.get("code") == "forbidden"


async def nothing_more(socket: LiveSocket, topic: str, after_seq: int) -> None:
    """A round trip later, the socket got no event of `topic` beyond `after_seq`."""
    await socket.request({"type": "ping"})
    assert [s for s in socket.seqs(topic) if s > after_seq] == []


async def post(socket: LiveSocket, topic: str, body: str) -> int:
    reply = await socket.request({"type": "post", "topic": topic, "body": body})
    assert reply["type"] == "ok", reply
    return reply["data"]["seq"]


async def test_a_room_turning_private_ends_outsiders_subscriptions_on_every_process(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (carol, t_carol), (_, t_bob) = stack.create_users(3)
    with stack.http(0, t_alice) as http:
        room = http.post("/api/rooms", json={"name": "Quartier", "visibility": "public"}).json()
    with stack.http(1, t_carol) as http:
        assert http.post(f"/api/rooms/{room['id']}/join").status_code == 200
    topic = room["topic"]
    async with (
        await LiveSocket.open(stack.ws_url(0), t_alice) as alice,
        await LiveSocket.open(stack.ws_url(1), t_carol) as member,
        await LiveSocket.open(stack.ws_url(1), t_bob) as outsider,
        await LiveSocket.open(stack.ws_url(1)) as anonymous,
        await LiveSocket.open(stack.ws_url(0)) as anonymous_here,
    ):
        for socket in (alice, member, outsider, anonymous, anonymous_here):
            assert (await socket.subscribe(topic))["type"] == "subscribed"
        await post(alice, topic, "avant")
        with stack.http(0, t_alice) as http:
            response = http.patch(f"/api/rooms/{room['id']}", json={"visibility": "private"})
            assert response.status_code == 200 and response.json()["visibility"] == "private"
        for socket in (outsider, anonymous, anonymous_here):
            frame = await socket.wait_for(is_revoked(topic))
            assert frame["ref"] is None and frame["message"]
        seq = await post(alice, topic, "entre membres")
        await member.wait_seq(topic, seq)
        for socket in (outsider, anonymous, anonymous_here):
            await nothing_more(socket, topic, seq - 1)
        assert not [f for f in member.frames if f["type"] == "unsubscribed"]
        # Subscribing again is refused like any private topic.
        again = await outsider.subscribe(topic)
        assert again["type"] == "error" and again["code"] in ("forbidden", "not_found")


async def test_a_removed_member_loses_the_private_room_on_the_other_process(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (dave, t_dave) = stack.create_users(2)
    with stack.http(0, t_alice) as http:
        room = http.post("/api/rooms", json={"name": "Bureau", "visibility": "private"}).json()
    stack.run_python(
        f"""
from accounts.models import User
from discussions.services import room_member_add
alice = User.objects.get(tokens__key_hash=__import__("accounts.models").models.Token.hash({t_alice!r}))
room_member_add(by=alice, room_id={room["id"]}, user=User.objects.get(username={dave!r}))
print(json.dumps(True))
"""
    )
    topic = room["topic"]
    async with (
        await LiveSocket.open(stack.ws_url(0), t_alice) as alice,
        await LiveSocket.open(stack.ws_url(1), t_dave) as member,
    ):
        assert (await member.subscribe(topic))["type"] == "subscribed"
        await alice.subscribe(topic)
        with stack.http(0, t_alice) as http:
            assert http.delete(f"/api/rooms/{room['id']}/members/{dave}").status_code == 204
        await member.wait_for(is_revoked(topic))
        seq = await post(alice, topic, "sans Dave")
        await nothing_more(member, topic, seq - 1)


def event_create(stack, token: str, **fields) -> dict:
    starts = datetime.now(UTC) + timedelta(days=2)
    payload = {
        "title": "Assemblée",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }
    with stack.http(0, token) as http:
        response = http.post("/api/events", json={**payload, **fields})
        assert response.status_code == 201, response.text
        return http.get(f"/api/events/{response.json()['id']}").json()


async def test_an_event_turning_invite_only_drops_the_uninvited_from_event_and_room(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (carol, t_carol), (_, t_bob) = stack.create_users(3)
    event = event_create(stack, t_alice)
    topics = [f"event:{event['id']}", event["room"]["topic"]]
    with stack.http(0, t_alice) as http:
        assert http.post(f"/api/events/{event['id']}/invites", json={"usernames": [carol]}).status_code == 200
    async with (
        await LiveSocket.open(stack.ws_url(1), t_carol) as invited,
        await LiveSocket.open(stack.ws_url(1), t_bob) as outsider,
        await LiveSocket.open(stack.ws_url(0)) as anonymous,
    ):
        for socket in (invited, outsider, anonymous):
            for topic in topics:
                assert (await socket.subscribe(topic))["type"] == "subscribed"
        with stack.http(0, t_alice) as http:
            assert http.patch(f"/api/events/{event['id']}", json={"invite_only": True}).status_code == 200
        for socket in (outsider, anonymous):
            for topic in topics:
                await socket.wait_for(is_revoked(topic))
        await invited.request({"type": "ping"})
        assert not [f for f in invited.frames if f["type"] == "unsubscribed"]


async def test_an_uninvited_person_loses_event_room_and_seat_and_cannot_rsvp_until_invited_again(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (carol, t_carol) = stack.create_users(2)
    event = event_create(stack, t_alice, invite_only=True, capacity=1)
    event_topic, room_topic = f"event:{event['id']}", event["room"]["topic"]
    with stack.http(0, t_alice) as http:
        assert http.post(f"/api/events/{event['id']}/invites", json={"usernames": [carol]}).status_code == 200
    async with await LiveSocket.open(stack.ws_url(1), t_carol) as guest:
        for topic in (event_topic, room_topic):
            assert (await guest.subscribe(topic))["type"] == "subscribed"
        going = await guest.request({"type": "rsvp", "topic": event_topic, "status": "going"})
        assert going["type"] == "ok" and going["data"]["status"] == "going"
        with stack.http(0, t_alice) as http:
            withdrawn = http.post(f"/api/events/{event['id']}/uninvite", json={"usernames": [carol]})
            assert withdrawn.status_code == 200 and withdrawn.json()["uninvited"] == [carol]
            assert http.get(f"/api/events/{event['id']}").json()["attendance"]["going"] == 0  # the seat is free
        for topic in (event_topic, room_topic):
            await guest.wait_for(is_revoked(topic))
        again = await guest.request({"type": "rsvp", "topic": event_topic, "status": "going"})
        assert again["type"] == "error" and again["code"] == "not_found"
        with stack.http(1, t_carol) as http:
            assert http.get(f"/api/events/{event['id']}").status_code == 404
        with stack.http(0, t_alice) as http:
            assert http.post(f"/api/events/{event['id']}/invites", json={"usernames": [carol]}).status_code == 200
        back = await guest.request({"type": "rsvp", "topic": event_topic, "status": "going"})
        assert back["type"] == "ok" and back["data"]["status"] == "going"


async def test_topics_built_on_a_room_follow_its_access_live(live_stack):
    """A room's proposals and debate topics are re-checked with the room: turning it private ends
    an outsider's subscriptions to them; a moderator made a plain member loses `moderation:` only."""
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (carol, t_carol), (_, t_bob) = stack.create_users(3)
    with stack.http(0, t_alice) as http:
        room = http.post("/api/rooms", json={"name": "Assemblée", "visibility": "public"}).json()
        made = http.post("/api/proposals", json={"title": "Budget", "body": "Voter le budget", "room": room["id"]})
        assert made.status_code == 201, made.text
    proposal_topic = f"proposal:{made.json()['id']}"
    debate, floor, moderation = (f"{kind}:{room['id']}" for kind in ("debate", "floor", "moderation"))
    grant = """
from accounts.models import Token, User
from discussions.services import room_member_add
alice = User.objects.get(tokens__key_hash=Token.hash({token!r}))
room_member_add(by=alice, room_id={room}, user=User.objects.get(username={user!r}), role={role!r})
print(json.dumps(True))
"""
    stack.run_python(grant.format(token=t_alice, room=room["id"], user=carol, role="moderator"))
    async with (
        await LiveSocket.open(stack.ws_url(1), t_carol) as moderator,
        await LiveSocket.open(stack.ws_url(1), t_bob) as outsider,
    ):
        for topic in (proposal_topic, debate, floor, moderation):
            assert (await moderator.subscribe(topic))["type"] == "subscribed", topic
        for topic in (proposal_topic, debate, floor):
            assert (await outsider.subscribe(topic))["type"] == "subscribed", topic

        stack.run_python(grant.format(token=t_alice, room=room["id"], user=carol, role="member"))
        await moderator.wait_for(is_revoked(moderation))
        await moderator.request({"type": "ping"})
        assert [f["topic"] for f in moderator.frames if f["type"] == "unsubscribed"] == [moderation]

        with stack.http(0, t_alice) as http:
            assert http.patch(f"/api/rooms/{room['id']}", json={"visibility": "private"}).status_code == 200
        for topic in (proposal_topic, debate, floor):
            await outsider.wait_for(is_revoked(topic))
        await moderator.request({"type": "ping"})  # a member keeps them
        assert [f["topic"] for f in moderator.frames if f["type"] == "unsubscribed"] == [moderation]
        again = await outsider.subscribe(proposal_topic)
        assert again["type"] == "error" and again["code"] in ("forbidden", "not_found")


async def test_a_moderator_lowered_through_the_api_loses_the_moderation_topic_live(live_stack):
    """`PUT /api/rooms/<id>/members/<name>` (the owner's route, the browser's) re-checks the room's
    live subscriptions like every other lowering: the moderators' view of the debate (pending
    and hidden questions, anonymous authors) ends at once on the other process."""
    stack = live_stack(processes=2, redis=True)
    (_, t_alice), (carol, t_carol) = stack.create_users(2)
    with stack.http(0, t_alice) as http:
        room = http.post("/api/rooms", json={"name": "Conseil", "visibility": "public"}).json()
    with stack.http(1, t_carol) as http:
        assert http.post(f"/api/rooms/{room['id']}/join").status_code == 200
    with stack.http(0, t_alice) as http:
        made = http.put(f"/api/rooms/{room['id']}/members/{carol}", json={"role": "moderator"})
        assert made.status_code == 200, made.text
    debate, moderation = f"debate:{room['id']}", f"moderation:{room['id']}"
    async with await LiveSocket.open(stack.ws_url(1), t_carol) as moderator:
        for topic in (debate, moderation):
            assert (await moderator.subscribe(topic))["type"] == "subscribed", topic
        with stack.http(0, t_alice) as http:
            lowered = http.put(f"/api/rooms/{room['id']}/members/{carol}", json={"role": "member"})
            assert lowered.status_code == 200, lowered.text
        await moderator.wait_for(is_revoked(moderation))
        await moderator.request({"type": "ping"})
        assert [f["topic"] for f in moderator.frames if f["type"] == "unsubscribed"] == [moderation]
        again = await moderator.subscribe(moderation)
        assert again["type"] == "error" and again["code"] == "forbidden"
