"""Finding 8 of issue #9: sign-in throttled per account (back-off) and per address, registration
per address, write and typing limits per user across processes (Redis, atomic), sockets per
address and per user capped with a clear close (4029)."""

from __future__ import annotations

import asyncio

import pytest
from django.test import Client

from tests.live import LiveSocket

PASSWORD = "pass-word-123"


@pytest.fixture
def accounts(db):
    from accounts.models import User

    User.objects.create_user("marie", password=PASSWORD)


def _sign_in(username: str, password: str, address: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=address).post(
        "/api/auth/token", {"username": username, "password": password}, "application/json"
    )


def test_sign_in_backs_off_per_account_whatever_the_address(accounts, settings):
    settings.LOGIN_FREE_FAILURES = 5
    answers = [_sign_in("marie", f"guess-{i}", address=f"10.0.1.{i}").status_code for i in range(5)]
    assert answers == [401] * 5
    locked = _sign_in("marie", PASSWORD, address="10.0.2.1")  # even the right password, from elsewhere
    assert locked.status_code == 429 and locked.json()["code"] == "rate_limited"
    assert 0 < locked.json()["retry_after"] <= 1 and locked["Retry-After"]
    # An unknown name is throttled exactly alike: the answers do not tell which names exist.
    unknown = [_sign_in("personne", f"guess-{i}").status_code for i in range(6)]
    assert unknown == [401] * 5 + [429]
    assert _sign_in("marie", PASSWORD).status_code in (200, 429)


def test_sign_in_is_throttled_per_address(accounts, settings):
    settings.LOGIN_BURST, settings.LOGIN_PER_SECOND = 4, 0.01
    answers = [_sign_in(f"name{i}", "guess", address="10.9.9.9").status_code for i in range(6)]
    assert answers == [401] * 4 + [429] * 2
    assert _sign_in("marie", PASSWORD, address="10.9.9.10").status_code == 200


def test_registration_is_throttled_per_address(accounts, settings):
    settings.REGISTER_BURST, settings.REGISTER_PER_SECOND = 3, 1 / 600
    client = Client(REMOTE_ADDR="10.7.7.7")
    answers = [
        client.post(
            "/api/auth/register", {"username": f"nouveau{i}", "password": "pass-word-123"}, "application/json"
        ).status_code
        for i in range(5)
    ]
    assert answers == [201] * 3 + [429] * 2


@pytest.mark.e2e
async def test_write_limit_holds_across_two_processes(live_stack):
    stack = live_stack(processes=2, redis=True, env={"RATE_LIMIT_BURST": "10", "RATE_LIMIT_PER_SECOND": "0.001"})
    (_, token), (owner, _) = stack.create_users(2)
    room = stack.run_python(  # created by someone else: creating it is a write of its own
        f"from accounts.models import User\nfrom discussions.services import room_create\n"
        f"print(room_create(creator=User.objects.get(username={owner!r}), name='Salon', visibility='public')['id'])"
    )
    sockets = [await LiveSocket.open(stack.ws_url(i), token) for i in (0, 1)]
    replies = await asyncio.gather(
        *[
            ws.request({"type": "post", "topic": f"room:{room}", "body": f"m{i}"}, timeout=30)
            for ws in sockets
            for i in range(10)
        ]
    )
    accepted = [r for r in replies if r["type"] == "ok"]
    limited = [r for r in replies if r.get("code") == "rate_limited"]
    assert len(accepted) == 10 and len(limited) == 10, (len(accepted), len(limited))
    assert all(r["retry_after"] > 0 for r in limited)
    for ws in sockets:
        await ws.close()


@pytest.mark.e2e
async def test_typing_limit_is_per_user_across_sockets_and_processes(live_stack):
    stack = live_stack(processes=2, redis=True, env={"TYPING_INTERVAL": "60"})
    (typist, token), (_, watcher_token) = stack.create_users(2)
    room = stack.run_python(
        f"from accounts.models import User\nfrom discussions.services import room_create\n"
        f"print(room_create(creator=User.objects.get(username={typist!r}), name='Salon', visibility='public')['id'])"
    )
    topic = f"room:{room}"
    watcher = await LiveSocket.open(stack.ws_url(0), watcher_token)
    await watcher.subscribe(topic)
    sockets = [await LiveSocket.open(stack.ws_url(i % 2), token) for i in range(30)]
    for ws in sockets:
        assert (await ws.subscribe(topic))["type"] == "subscribed"
    for ws in sockets:
        await ws.send({"type": "typing", "topic": topic})
    for ws in sockets:  # each socket has handled its typing frame once it answers the ping after it
        assert (await ws.request({"type": "ping"}))["type"] == "pong"
    # A sequenced event published after every typing frame: once it arrived, so had they.
    await sockets[-1].request({"type": "post", "topic": topic, "body": "fin"})
    await watcher.wait_for(lambda f: f["type"] == "event" and f["kind"] == "message.posted")
    typing = [f for f in watcher.frames if f["type"] == "typing"]
    assert len(typing) == 1 and typing[0]["user"] == typist
    for ws in [watcher, *sockets]:
        await ws.close()


@pytest.mark.e2e
async def test_sockets_per_address_and_per_user_are_capped_with_4029(live_stack):
    stack = live_stack(env={"SOCKETS_PER_IP": "6", "SOCKETS_PER_USER": "3"})
    ((_, token),) = stack.create_users(1)
    mine = [await LiveSocket.open(stack.ws_url(), token) for _ in range(3)]
    fourth = await LiveSocket.open(stack.ws_url(), token)
    await asyncio.wait_for(fourth.closed.wait(), 10)
    assert fourth.ws.close_code == 4029
    assert fourth.frames[-1]["code"] == "rate_limited" and "your account" in fourth.frames[-1]["message"]
    anonymous = [await LiveSocket.open(stack.ws_url()) for _ in range(3)]
    seventh = await LiveSocket.open(stack.ws_url())
    await asyncio.wait_for(seventh.closed.wait(), 10)
    assert seventh.ws.close_code == 4029 and "your address" in seventh.frames[-1]["message"]
    # A slot frees when a socket closes (once the server has seen the close: retried until then).
    await anonymous[0].close()
    for _ in range(100):
        again = await LiveSocket.open(stack.ws_url())
        try:
            if (await again.request({"type": "ping"}, timeout=5))["type"] == "pong":
                break
        except ConnectionError:
            assert again.ws.close_code == 4029
    assert (await again.request({"type": "ping"}))["type"] == "pong"
    for ws in [*mine, *anonymous[1:], again]:
        await ws.close()
