"""Every browser session of a person is listed and can be ended by them, not only those a token is
linked to: sessions opened before the token–session link existed (copied by migration
accounts.0005), admin sign-ins, any cookie. An ended session's socket closes with 4003 on every
process (two real daphne processes)."""

from __future__ import annotations

import asyncio
import importlib
import json

import httpx
import pytest
import websockets
from django.apps import apps
from django.test import Client

from tests.live import LiveSocket

PASSWORD = "pass-word-123"
SIGN_IN = {"username": "marie", "password": PASSWORD}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _sign_in(client: Client, agent: str = "") -> str:
    extra = {"HTTP_USER_AGENT": agent} if agent else {}
    response = client.post("/api/auth/token", SIGN_IN, "application/json", **extra)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _old_django_session(user) -> str:
    """A session as Django's own engine stored it before this one: a row of `django_session`."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    old = SessionStore()
    old[SESSION_KEY] = str(user.pk)
    old[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    old[HASH_SESSION_KEY] = user.get_session_auth_hash()
    old.create()
    return old.session_key


@pytest.mark.django_db
def test_a_session_from_before_the_link_is_copied_listed_and_ended_by_its_owner(settings):
    from accounts.models import BrowserSession, CredentialRevocation, User
    from realtime.revocation import session_credential

    marie = User.objects.create_user("marie", password=PASSWORD)
    paul = User.objects.create_user("paul", password=PASSWORD)
    old_key = _old_django_session(marie)
    pauls_key = _old_django_session(paul)
    migration = importlib.import_module("accounts.migrations.0005_browser_sessions")
    migration.sessions_copy(apps, None)
    assert set(BrowserSession.objects.values_list("user__username", flat=True)) == {"marie", "paul"}

    old_browser = Client()
    old_browser.cookies[settings.SESSION_COOKIE_NAME] = old_key
    assert old_browser.get("/api/auth/me").json()["username"] == "marie"  # nobody was signed out
    token = _sign_in(Client(), agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
    items = Client().get("/api/auth/sessions", **_bearer(token)).json()["items"]
    assert len(items) == 2
    old, new = sorted(items, key=lambda item: item["token"] is not None)
    assert old["token"] is None and old["user_agent"] == "" and old["signed_in_at"] and not old["current"]
    assert new["token"] is not None and "Firefox" in new["user_agent"] and new["current"]
    assert new["last_seen_at"]  # a linked session is seen when its token is used
    assert old_key not in str(items)  # listed by an id, never by its key

    # Paul cannot end Marie's session, nor learn it exists; Marie cannot end Paul's.
    pauls_token = _sign_in_as(Client(), "paul")
    assert Client().delete(f"/api/auth/sessions/{old['id']}", **_bearer(pauls_token)).status_code == 404
    pauls_id = BrowserSession.public_id(pauls_key)
    assert Client().delete(f"/api/auth/sessions/{pauls_id}", **_bearer(token)).status_code == 404
    assert Client().delete(f"/api/auth/sessions/{old['id']}").status_code == 401

    assert Client().delete(f"/api/auth/sessions/{old['id']}", **_bearer(token)).status_code == 204
    assert old_browser.get("/api/auth/me").status_code == 401
    assert CredentialRevocation.objects.filter(credential=session_credential(old_key)).exists()
    remaining = Client().get("/api/auth/sessions", **_bearer(token)).json()["items"]
    assert [item["id"] for item in remaining] == [new["id"]]


def _sign_in_as(client: Client, username: str) -> str:
    response = client.post("/api/auth/token", {"username": username, "password": PASSWORD}, "application/json")
    return response.json()["token"]


@pytest.mark.django_db
def test_sign_out_everywhere_else_and_a_password_change_end_sessions_without_a_token():
    from accounts.models import BrowserSession, User

    marie = User.objects.create_user("marie", password=PASSWORD)
    admin_browser, old_browser, here = Client(), Client(), Client()
    admin_browser.force_login(marie)  # the admin's sign-in issues no token
    old_browser.force_login(marie)
    mine = _sign_in(here)
    listed = here.get("/api/auth/sessions", **_bearer(mine)).json()["items"]
    assert sorted(item["token"] is None for item in listed) == [False, True, True]
    answer = here.post("/api/auth/tokens/revoke-others", "{}", "application/json", **_bearer(mine))
    assert answer.json() == {"revoked": 2}
    assert admin_browser.get("/api/auth/me").status_code == 401 and old_browser.get("/api/auth/me").status_code == 401
    assert here.get("/api/auth/me").status_code == 200
    assert [item["current"] for item in here.get("/api/auth/sessions", **_bearer(mine)).json()["items"]] == [True]

    elsewhere = Client()
    elsewhere.force_login(marie)
    changed = here.post(
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": "new-pass-word-456"},
        "application/json",
        **_bearer(mine),
    )
    assert changed.status_code == 200
    # Only this browser's session is left (under a new key), no stale row of the others.
    assert BrowserSession.objects.filter(user=marie).count() == 1
    assert here.get("/api/auth/me").status_code == 200 and elsewhere.get("/api/auth/me").status_code == 401


@pytest.mark.django_db
def test_an_erased_account_leaves_no_session_rows():
    from accounts.models import BrowserSession, User

    marie = User.objects.create_user("marie", password=PASSWORD)
    other = Client()
    other.force_login(marie)
    here = Client()
    token = _sign_in(here, agent="Mozilla/5.0 (Android 14) Chrome/131.0")
    erased = here.generic(
        "DELETE", "/api/auth/me", json.dumps({"password": PASSWORD}), "application/json", **_bearer(token)
    )
    assert erased.status_code == 204
    assert not BrowserSession.objects.filter(user=marie).exists()
    assert not BrowserSession.objects.filter(user_agent__contains="Android").exists()


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_an_ended_session_without_a_token_closes_its_socket_on_every_process(live_stack):
    stack = live_stack(processes=2)
    ((name, token),) = stack.create_users(1)
    # A browser signed in before the token–session link: a session cookie and nothing else.
    session_key = stack.run_python(
        f"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.models import User
from accounts.sessions import SessionStore
user = User.objects.get(username={name!r})
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps(session.session_key))
"""
    )
    sockets = [
        LiveSocket(
            await websockets.connect(
                stack.ws_url(i),
                origin=f"http://127.0.0.1:{stack.ports[i]}",
                additional_headers={"Cookie": f"sessionid={session_key}"},
                open_timeout=20,
            )
        )
        for i in (0, 1)
    ]
    survivor = await LiveSocket.open(stack.ws_url(1), token)
    for ws in [*sockets, survivor]:
        # Signed in: a write to a missing room is `not_found`, not `auth_required`.
        reply = await ws.request({"type": "post", "topic": "room:999999", "body": "x"})
        assert reply["code"] == "not_found"
    with httpx.Client(base_url=stack.http_url(0), headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        (listed,) = [item for item in http.get("/api/auth/sessions").json()["items"] if item["token"] is None]
        assert http.delete(f"/api/auth/sessions/{listed['id']}").status_code == 204
    for ws in sockets:
        await asyncio.wait_for(ws.closed.wait(), 15)
    assert [ws.ws.close_code for ws in sockets] == [4003, 4003]
    assert any(f.get("code") == "auth_required" for f in sockets[1].frames)
    assert (await survivor.request({"type": "ping"}))["type"] == "pong"
    await survivor.close()
