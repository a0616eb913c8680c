"""1,000 members of a room, one message mentioning 50 of them, on real daphne processes with
Redis: 50 notifications and nobody else, and the poster's `ok` comes before them (the fan-out
runs after the poster's commit, in the background)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.live import LiveSocket

pytestmark = pytest.mark.e2e

MEMBERS = 1000
MENTIONED = 50


async def test_one_message_mentioning_50_of_1000_members_notifies_exactly_them(live_stack):
    stack = live_stack(processes=2, redis=True)
    (poster, t_poster), *people = stack.create_users(1 + MEMBERS)
    mentioned = people[:: MEMBERS // MENTIONED]
    assert len(mentioned) == MENTIONED
    with stack.http(0, t_poster) as http:
        room = http.post("/api/rooms", json={"name": "Quartier", "visibility": "private"}).json()
    ids = stack.run_python(
        f"""
from accounts.models import User
from discussions.models import Membership
users = list(User.objects.filter(username__in={[name for name, _ in people]!r}))
Membership.objects.bulk_create([Membership(room_id={room["id"]}, user=u) for u in users])
print(json.dumps({{u.username: u.id for u in users}}))
"""
    )
    # Watch a few of the mentioned (on both processes) and one who is not.
    watched = [mentioned[0], mentioned[MENTIONED // 2], mentioned[-1], people[1]]
    sockets = [await LiveSocket.open(stack.ws_url(i % 2), token) for i, (_, token) in enumerate(watched)]
    async with await LiveSocket.open(stack.ws_url(0), t_poster) as writer:
        try:
            for socket, (name, _) in zip(sockets, watched, strict=True):
                await socket.subscribe(f"user:{ids[name]}")
            body = "Réunion de quartier jeudi " + " ".join(f"@{name}" for name, _ in mentioned)
            started = time.monotonic()
            ok = await writer.request({"type": "post", "topic": room["topic"], "body": body})
            answered = time.monotonic() - started
            assert ok["type"] == "ok", ok
            arrivals = await asyncio.gather(
                *(
                    s.wait_for(lambda f: f.get("kind") == "notification.created", timeout=60, seen=True)
                    for s in sockets[:3]
                )
            )
            delivered = time.monotonic() - started
            assert {a["data"]["kind"] for a in arrivals} == {"mention"}
            rows = stack.run_python(
                """
from notifications.models import DeliveryJob, Notification
print(json.dumps([sorted(Notification.objects.values_list("user__username", flat=True)), DeliveryJob.objects.count()]))
"""
            )
            # One job, claimed and fanned out in one transaction: once one frame arrived, all rows are there.
            assert rows == [sorted(name for name, _ in mentioned), 0]
            assert not any(f.get("kind") == "notification.created" for f in sockets[3].frames)
            print(
                f"\n{MEMBERS} members, {MENTIONED} mentioned: the poster's ok in {answered * 1000:.0f} ms; "
                f"notifications on both processes after {delivered * 1000:.0f} ms; nobody else notified"
            )
        finally:
            await asyncio.gather(*(s.close() for s in sockets))
