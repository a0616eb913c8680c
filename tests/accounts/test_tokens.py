"""Finding 7 of issue #9: tokens expire (sliding), are listed and revoked by their owner, and are
revoked by logout and password change; sockets of a revoked credential close with 4003 on every
process (two real daphne processes)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import websockets
from django.test import Client
from django.utils import timezone

from tests.live import LiveSocket

PASSWORD = "pass-word-123"


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _sign_in(client: Client, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/auth/token", {"username": username, "password": password}, "application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.mark.django_db
def test_tokens_expire_when_idle_and_each_use_slides_the_expiry(settings):
    from accounts.models import Token, User

    settings.TOKEN_IDLE_DAYS = 30
    User.objects.create_user("marie", password=PASSWORD)
    token = _sign_in(Client(), "marie")
    row = Token.objects.get(key_hash=Token.hash(token))
    Token.objects.filter(id=row.id).update(last_used_at=timezone.now() - timedelta(days=29))
    assert Client().get("/api/auth/me", **_bearer(token)).status_code == 200  # used: slides
    assert Token.objects.get(id=row.id).last_used_at > timezone.now() - timedelta(minutes=1)
    Token.objects.filter(id=row.id).update(last_used_at=timezone.now() - timedelta(days=31))
    expired = Client().get("/api/auth/me", **_bearer(token))
    assert expired.status_code == 401 and expired.json()["code"] == "auth_required"
    settings.TOKEN_MAX_AGE_DAYS = 1
    fresh = _sign_in(Client(), "marie")
    Token.objects.filter(key_hash=Token.hash(fresh)).update(created_at=timezone.now() - timedelta(days=2))
    assert Client().get("/api/auth/me", **_bearer(fresh)).status_code == 401


@pytest.mark.django_db
def test_many_tokens_are_checked_in_one_query_and_slid_in_one_update(settings, make_user, django_assert_num_queries):
    """The handshakes of a reconnect storm (accounts.socket_auth reads their tokens together)."""
    from accounts.models import Token
    from accounts.selectors import tokens_get_valid

    settings.TOKEN_TOUCH_SECONDS = 60
    users = [make_user() for _ in range(5)]
    fresh, stale, revoked, inactive, gone = users
    long_ago = timezone.now() - timedelta(minutes=5)
    Token.objects.filter(user__in=[stale, revoked, inactive]).update(last_used_at=long_ago)
    Token.objects.filter(user=revoked).update(revoked_at=timezone.now())
    type(inactive).objects.filter(id=inactive.id).update(is_active=False)
    keys = [u.token for u in users[:4]] + ["no-such-token"]
    with django_assert_num_queries(2):  # the tokens with their users; the one update that slides
        found = tokens_get_valid(keys)
    assert {key: token.user.username for key, token in found.items()} == {
        fresh.token: fresh.username,
        stale.token: stale.username,
    }
    assert Token.objects.get(user=stale).last_used_at > long_ago  # slid
    assert Token.objects.get(user=revoked).last_used_at == long_ago  # refused: not slid
    with django_assert_num_queries(1):  # used again within TOKEN_TOUCH_SECONDS: a read only
        assert set(tokens_get_valid([fresh.token, stale.token, gone.token])) == {fresh.token, stale.token, gone.token}


@pytest.mark.django_db
def test_owner_lists_and_revokes_tokens_others_cannot():
    from accounts.models import User

    User.objects.create_user("marie", password=PASSWORD)
    User.objects.create_user("mallory", password=PASSWORD)
    first, second = _sign_in(Client(), "marie"), _sign_in(Client(), "marie")
    intruder = _sign_in(Client(), "mallory")
    listed = Client().get("/api/auth/tokens", **_bearer(first)).json()["items"]
    assert len(listed) == 2 and [t["current"] for t in listed].count(True) == 1
    assert all(t["expires_at"] and t["label"].startswith("sign-in") for t in listed)
    other_id = next(t["id"] for t in listed if not t["current"])
    assert Client().delete(f"/api/auth/tokens/{other_id}", **_bearer(intruder)).status_code == 404
    assert Client().get("/api/auth/me", **_bearer(second)).status_code == 200
    assert Client().delete(f"/api/auth/tokens/{other_id}", **_bearer(first)).status_code == 204
    assert Client().get("/api/auth/me", **_bearer(second)).status_code == 401
    assert len(Client().get("/api/auth/tokens", **_bearer(first)).json()["items"]) == 1


@pytest.mark.django_db
def test_logout_and_password_change_revoke_tokens():
    from accounts.models import User

    User.objects.create_user("marie", password=PASSWORD)
    token = _sign_in(Client(), "marie")
    out = Client().post("/api/auth/logout", "{}", "application/json", **_bearer(token))
    assert out.status_code == 204
    assert Client().get("/api/auth/me", **_bearer(token)).status_code == 401

    browser = Client()
    old = _sign_in(browser, "marie")
    other = _sign_in(Client(), "marie")
    wrong = browser.post(
        "/api/auth/password",
        {"current_password": "nope-nope-nope", "new_password": "new-pass-word-456"},
        "application/json",
        **_bearer(old),
    )
    assert wrong.status_code == 403
    changed = browser.post(
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": "new-pass-word-456"},
        "application/json",
        **_bearer(old),
    )
    assert changed.status_code == 200
    assert Client().get("/api/auth/me", **_bearer(old)).status_code == 401
    assert Client().get("/api/auth/me", **_bearer(other)).status_code == 401
    assert Client().get("/api/auth/me", **_bearer(changed.json()["token"])).status_code == 200
    assert browser.get("/api/auth/me").status_code == 200  # this browser's session survives
    assert (
        Client().post("/api/auth/token", {"username": "marie", "password": PASSWORD}, "application/json").status_code
        == 401
    )


async def _closed_with(ws: LiveSocket, timeout: float = 15.0) -> int | None:
    await asyncio.wait_for(ws.closed.wait(), timeout)
    return ws.ws.close_code


@pytest.mark.e2e
async def test_revoked_token_and_ended_session_close_their_sockets_on_every_process(live_stack):
    stack = live_stack(processes=2, redis=True)
    ((name, _),) = stack.create_users(1)
    stack.run_python(
        f"from accounts.models import User\nu = User.objects.get(username={name!r})\n"
        f"u.set_password({PASSWORD!r}); u.save()\nprint(1)"
    )
    with httpx.Client(base_url=stack.http_url(0), timeout=30) as http:
        tokens = [
            http.post("/api/auth/token", json={"username": name, "password": PASSWORD}).json()["token"]
            for _ in range(3)
        ]
        revoked, kept, logged_out = tokens
        # One socket per process with the token to revoke, and one with another token.
        doomed = [await LiveSocket.open(stack.ws_url(i), revoked) for i in (0, 1)]
        survivor = await LiveSocket.open(stack.ws_url(1), kept)
        leaving = await LiveSocket.open(stack.ws_url(1), logged_out)
        for ws in [*doomed, survivor, leaving]:
            assert (await ws.request({"type": "ping"}))["type"] == "pong"

        # The token list seen through a token marks that one `current`.
        revoked_id = next(
            t["id"]
            for t in http.get("/api/auth/tokens", headers={"Authorization": f"Bearer {revoked}"}).json()["items"]
            if t["current"]
        )
        assert (
            http.delete(f"/api/auth/tokens/{revoked_id}", headers={"Authorization": f"Bearer {kept}"}).status_code
            == 204
        )
        assert [await _closed_with(ws) for ws in doomed] == [4003, 4003]
        assert any(f.get("code") == "auth_required" for f in doomed[1].frames)
        assert (await survivor.request({"type": "ping"}))["type"] == "pong"

        out = http.post("/api/auth/logout", json={}, headers={"Authorization": f"Bearer {logged_out}"})
        assert out.status_code == 204
        assert await _closed_with(leaving) == 4003
        assert (await survivor.request({"type": "ping"}))["type"] == "pong"

        # A browser: session cookie, same-origin socket; signing out closes it on the other process.
        browser = httpx.Client(base_url=stack.http_url(0), timeout=30)
        browser.post("/api/auth/token", json={"username": name, "password": PASSWORD})
        cookie = f"sessionid={browser.cookies['sessionid']}"
        session_socket = LiveSocket(
            await websockets.connect(
                stack.ws_url(1), origin=f"http://127.0.0.1:{stack.ports[1]}", additional_headers={"Cookie": cookie}
            )
        )
        assert (await session_socket.request({"type": "post", "topic": "room:999999", "body": "x"}))[
            "code"
        ] == "not_found"
        browser.post("/api/auth/logout", json={}, headers={"Origin": stack.http_url(0)})
        assert await _closed_with(session_socket) == 4003

        # A password change closes every socket of the user, whatever it was opened with.
        changed = http.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "new-pass-word-456"},
            headers={"Authorization": f"Bearer {kept}"},
        )
        assert changed.status_code == 200, changed.text
        assert await _closed_with(survivor) == 4003
        assert changed.json()["token"] != kept
        browser.close()
