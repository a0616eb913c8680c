"""Accounts: register, token, me, logout, and how a Bearer token is read (HTTP and socket handshake)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Token
from accounts.selectors import token_from_authorization, user_by_token
from accounts.services import token_issue, user_register
from accounts.socket_auth import bearer_token
from realtime import fanout
from realtime.errors import AppError
from tests.communicator import Communicator

pytestmark = pytest.mark.django_db
JSON = "application/json"


def post(client: Client, path: str, payload: dict | None = None, **headers):
    return client.post(path, payload or {}, JSON, **headers)


def test_register_stores_a_hashed_password_and_a_hashed_token():
    user, token = user_register(username="  Marie  ", password="pass-word-123")
    assert user.username == "Marie"  # trimmed
    assert user.check_password("pass-word-123") and user.password != "pass-word-123"
    stored = Token.objects.get(user=user)
    assert stored.key_hash == Token.hash(token) and token not in stored.key_hash
    assert user_by_token(token) == user


def test_usernames_are_unique_whatever_the_case():
    user_register(username="marie", password="pass-word-123")
    with pytest.raises(AppError) as raised:
        user_register(username="MARIE", password="pass-word-456")
    assert raised.value.code == "conflict"
    assert get_user_model().objects.filter(username__iexact="marie").count() == 1


def test_register_over_http_answers_409_for_a_taken_name():
    assert post(Client(), "/api/auth/register", {"username": "paul", "password": "pass-word-123"}).status_code == 201
    again = post(Client(), "/api/auth/register", {"username": "Paul", "password": "pass-word-123"})
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_a_wrong_password_gets_401_and_no_token():
    user_register(username="lea", password="pass-word-123")
    before = Token.objects.count()
    wrong = post(Client(), "/api/auth/token", {"username": "lea", "password": "nope-nope-nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "auth_required"
    assert Token.objects.count() == before


def test_each_token_request_issues_a_new_working_token():
    user_register(username="lea", password="pass-word-123")
    first = post(Client(), "/api/auth/token", {"username": "lea", "password": "pass-word-123"}).json()["token"]
    second = post(Client(), "/api/auth/token", {"username": "lea", "password": "pass-word-123"}).json()["token"]
    assert first != second
    for token in (first, second):
        assert Client().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()["username"] == "lea"


def test_me_needs_a_sign_in_and_refuses_an_unknown_token():
    assert Client().get("/api/auth/me").status_code == 401
    bad = Client().get("/api/auth/me", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.status_code == 401 and bad.json()["message"] == "invalid or revoked token"


def test_a_deactivated_user_token_stops_working():
    user, token = user_register(username="ana", password="pass-word-123")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert user_by_token(token) is None
    assert Client().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_session_alone_may_read_but_not_write():
    client = Client()
    post(client, "/api/auth/register", {"username": "zoe", "password": "pass-word-123"})
    assert client.get("/api/auth/me").json()["username"] == "zoe"
    # An unsafe method with only the cookie could be ridden by another site: refused.
    patched = client.patch("/api/auth/me", {"home_commune": None}, JSON)
    assert patched.status_code == 401 and patched.json()["code"] == "auth_required"


def test_logout_ends_the_session_but_not_the_tokens():
    client = Client()
    token = post(client, "/api/auth/register", {"username": "ines", "password": "pass-word-123"}).json()["token"]
    assert client.get("/api/auth/me").status_code == 200
    assert post(client, "/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401
    assert Client().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_me_update_refuses_an_unknown_commune_and_clears():
    user, token = user_register(username="noe", password="pass-word-123")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    unknown = Client().patch("/api/auth/me", {"home_commune": "00000"}, JSON, **headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    cleared = Client().patch("/api/auth/me", {"home_commune": None}, JSON, **headers)
    assert cleared.status_code == 200 and cleared.json()["home_commune"] is None


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Basic abc", None),
        ("Bearerabc", None),
        ("", None),
        ("abc", None),
    ],
)
def test_bearer_header_parsing(header, token):
    assert token_from_authorization(header) == token


@pytest.mark.parametrize(
    ("scope", "token"),
    [
        ({"headers": [(b"authorization", b"Bearer from-header")]}, "from-header"),
        ({"headers": [], "subprotocols": ["bearer", "from-subprotocol"]}, "from-subprotocol"),
        # The header wins over the subprotocol.
        ({"headers": [(b"authorization", b"Bearer h")], "subprotocols": ["bearer", "s"]}, "h"),
        ({"headers": [], "subprotocols": ["bearer"]}, None),
        ({"headers": [], "subprotocols": ["chat", "x"]}, None),
        ({"headers": [(b"authorization", b"Basic x")]}, None),
    ],
)
def test_socket_handshake_bearer_parsing(scope, token):
    assert bearer_token(scope) == token


@pytest.mark.django_db(transaction=True)
async def test_socket_with_a_revoked_token_is_refused_and_a_valid_one_is_signed_in():
    from config.routing import application

    user, token = await database_sync_to_async(user_register)(username="remi", password="pass-word-123")
    refused = Communicator(application, "/ws/", headers=[(b"authorization", b"Bearer revoked")])
    connected, _ = await refused.connect()
    assert not connected
    accepted = Communicator(application, "/ws/", subprotocols=["bearer", token])
    connected, subprotocol = await accepted.connect()
    assert connected and subprotocol == "bearer"
    # Signed in: a write command is not refused with auth_required (it fails on its topic instead).
    await accepted.send_json_to({"type": "post", "topic": "room:999999", "body": "x", "ref": "r"})
    reply = await accepted.receive_json_from(5)
    assert reply["type"] == "error" and reply["code"] != "auth_required", reply
    await accepted.disconnect()
    await fanout.process_hub_stop()


def test_token_issue_adds_a_token_without_revoking_others():
    user, first = user_register(username="yan", password="pass-word-123")
    second = token_issue(user=user)
    assert user_by_token(first) == user_by_token(second) == user
