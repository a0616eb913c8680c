"""Finding 9 of issue #9 (socket side), through a real daphne process: the Origin check compares
scheme, host and port; private and missing topics answer alike; a topic with a trailing
newline is refused."""

from __future__ import annotations

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e]


async def _handshake(url: str, origin: str | None, token: str | None = None) -> int:
    """The HTTP status of the handshake: 101 when a socket opened."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        ws = await websockets.connect(url, origin=origin, additional_headers=headers, open_timeout=20)
    except InvalidStatus as exc:
        return exc.response.status_code
    await ws.close()
    return 101


async def test_origin_must_match_scheme_host_and_port(live_stack):
    stack = live_stack()
    port = stack.ports[0]
    url = stack.ws_url()
    assert await _handshake(url, None) == 101  # not a browser
    assert await _handshake(url, f"http://127.0.0.1:{port}") == 101  # the site itself
    for foreign in (
        "http://localhost:9999",  # an allowed host, another port
        "https://127.0.0.1",  # the same host, another scheme (and port)
        f"https://127.0.0.1:{port}",  # the same host and port, another scheme
        "http://127.0.0.1",  # the same host, the default port
        "http://evil.example",
        "null",
    ):
        assert await _handshake(url, foreign) == 403, foreign


async def test_origin_behind_a_tls_proxy_and_trusted_origins(live_stack):
    stack = live_stack(
        env={"DJANGO_SECURE_PROXY_SSL_HEADER": "1", "DJANGO_CSRF_TRUSTED_ORIGINS": "https://app.example:8443"}
    )
    port = stack.ports[0]

    async def status(origin: str, proto: str | None) -> int:
        headers = {"X-Forwarded-Proto": proto} if proto else None
        try:
            ws = await websockets.connect(stack.ws_url(), origin=origin, additional_headers=headers, open_timeout=20)
        except InvalidStatus as exc:
            return exc.response.status_code
        await ws.close()
        return 101

    assert await status(f"https://127.0.0.1:{port}", "https") == 101
    assert await status(f"http://127.0.0.1:{port}", "https") == 403
    assert await status(f"https://127.0.0.1:{port}", None) == 403
    assert await status("https://app.example:8443", None) == 101
    assert await status("https://app.example", None) == 403


async def test_private_and_missing_topics_answer_alike_and_a_newline_is_refused(live_stack):
    stack = live_stack()
    (owner, owner_token), (outsider, outsider_token) = stack.create_users(2)
    room_id = stack.run_python(
        f"""
from accounts.models import User
from discussions.services import room_create
room = room_create(creator=User.objects.get(username={owner!r}), name="Conseil", visibility="private")
print(room["id"])
"""
    )
    missing = room_id + 1000
    async with await LiveSocket.open(stack.ws_url(), outsider_token) as ws:
        private = await ws.subscribe(f"room:{room_id}")
        absent = await ws.subscribe(f"room:{missing}")
        assert private["type"] == absent["type"] == "error"
        assert private["code"] == absent["code"] == "not_found"
        assert private["message"].replace(str(room_id), "N") == absent["message"].replace(str(missing), "N")
        newline = await ws.subscribe(f"room:{room_id}\n")
        assert newline["type"] == "error" and newline["code"] == "bad_request"
    async with await LiveSocket.open(stack.ws_url(), owner_token) as ws:
        assert (await ws.subscribe(f"room:{room_id}"))["type"] == "subscribed"
        newline = await ws.subscribe(f"room:{room_id}\n")
        assert newline["code"] == "bad_request"


async def test_hostile_fields_in_socket_commands_answer_bad_request_not_internal(live_stack):
    stack = live_stack()
    ((name, token),) = stack.create_users(1)
    ids = stack.run_python(
        f"""
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from discussions.services import room_create
from events.inputs import EventIn
from events.services import event_create
from proposals.inputs import ProposalIn
from proposals.services import proposal_create
user = User.objects.get(username={name!r})
room = room_create(creator=user, name="Salon", visibility="public")
start = timezone.now() + timedelta(days=1)
event = event_create(creator=user, event=EventIn(title="Fête", starts_at=start, ends_at=start + timedelta(hours=1)))
proposal = proposal_create(author=user, proposal=ProposalIn(title="Vote", body="…", room=room["id"]))
print(json.dumps([room["id"], event["id"], proposal["id"]]))
"""
    )
    room, event, proposal = (f"room:{ids[0]}", f"event:{ids[1]}", f"proposal:{ids[2]}")
    commands = [
        {"type": "post", "topic": room, "body": "salut"},
        {"type": "edit", "topic": room, "message": 1, "body": "x"},
        {"type": "delete", "topic": room, "message": 1},
        {"type": "rsvp", "topic": event, "status": "going"},
        {"type": "checkin", "topic": event, "code": "ABC"},
        {"type": "vote", "topic": proposal, "choice": "up"},
        {"type": "amend", "topic": proposal, "body": "…"},
        {"type": "subscribe", "topic": room, "since": 0},
    ]
    hostile = [2**63, 2**64 - 1, -(2**63) - 1, "\x00", "a\x00b", "0001-01-01T00:00:00"]
    answers: dict[str, int] = {}
    async with await LiveSocket.open(stack.ws_url(), token) as ws:
        for command in commands:
            for field in [f for f in command if f not in ("type", "topic")] + ["reply_to", "amendment"]:
                for value in hostile:
                    reply = await ws.request({**command, field: value})
                    answers[reply.get("code", reply["type"])] = answers.get(reply.get("code", reply["type"]), 0) + 1
                    assert reply.get("code") != "internal", (command, field, value, reply)
        assert not ws.closed.is_set()
    assert answers.get("bad_request", 0) > 20, answers
