"""Live, through two real daphne processes sharing Redis: admins hear membership requests on
`orgadmin:<id>` as they come; an admin removed on one process loses the admins' topic and the
moderation view of the organisation's room at once on the other, and their next act is refused."""

from __future__ import annotations

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def is_revoked(topic: str):
    return lambda f: f["type"] == "unsubscribed" and f["topic"] == topic and f.get("code") == "forbidden"


async def test_requests_arrive_live_and_a_removed_admin_loses_powers_live(live_stack):
    stack = live_stack(processes=2, redis=True)
    stack.manage("loaddata", "reunion")
    (_, t_alice), (bob, t_bob), (dave, t_dave) = stack.create_users(3)
    with stack.http(0, t_alice) as http:
        org = http.post(
            "/api/organisations", json={"kind": "association", "name": "Comité des fêtes", "commune": "97411"}
        )
        assert org.status_code == 201, org.text
        org = org.json()
    with stack.http(1, t_bob) as http:
        assert http.post(f"/api/organisations/{org['id']}/join").json()["status"] == "pending"
    with stack.http(0, t_alice) as http:
        decided = http.post(f"/api/organisations/{org['id']}/members/{bob}/decision", json={"decision": "approve"})
        assert decided.json()["status"] == "active"
        assert (
            http.patch(f"/api/organisations/{org['id']}/members/{bob}", json={"role": "admin"}).json()["role"]
            == "admin"
        )
        room = http.get(f"/api/organisations/{org['id']}").json()["room"]["id"]
    desk, moderation = f"orgadmin:{org['id']}", f"moderation:{room}"
    async with (
        await LiveSocket.open(stack.ws_url(1), t_bob) as bob_socket,
        await LiveSocket.open(stack.ws_url(0), t_dave) as outsider,
    ):
        assert (await outsider.subscribe(desk))["code"] == "forbidden"
        for topic in (desk, moderation, org["topic"]):
            assert (await bob_socket.subscribe(topic))["type"] == "subscribed"
        # A request made through process 0 reaches the admin on process 1 as it happens.
        with stack.http(0, t_dave) as http:
            assert http.post(f"/api/organisations/{org['id']}/join").json()["status"] == "pending"
        requested = await bob_socket.wait_for(lambda f: f.get("kind") == "membership.requested")
        assert requested["data"]["user"] == dave
        with stack.http(0, t_alice) as http:
            lowered = http.patch(f"/api/organisations/{org['id']}/members/{bob}", json={"role": "member"})
            assert lowered.json()["role"] == "member"
        for topic in (desk, moderation):
            frame = await bob_socket.wait_for(is_revoked(topic))
            assert frame["ref"] is None
        changed = await bob_socket.wait_for(lambda f: f.get("kind") == "organisation.role_changed")
        assert changed["data"] == {"user": bob, "role": "member"}
        # The public topic stays; the powers are gone.
        assert not [f for f in bob_socket.frames if f["type"] == "unsubscribed" and f["topic"] == org["topic"]]
        with stack.http(1, t_bob) as http:
            refused = http.post(f"/api/organisations/{org['id']}/members/{dave}/decision", json={"decision": "approve"})
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        assert (await bob_socket.subscribe(desk))["code"] == "forbidden"
