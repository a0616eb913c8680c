"""HTTP side of accounts, communes and rooms (PROTOCOL.md §5)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from discussions.services import message_post

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def test_register_then_token_then_me():
    client = Client()
    created = client.post("/api/auth/register", {"username": "marie", "password": "pass-word-123"}, "application/json")
    assert created.status_code == 201 and created.json()["token"]
    token = client.post("/api/auth/token", {"username": "marie", "password": "pass-word-123"}, "application/json")
    assert token.status_code == 200
    me = Client().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    assert me.json()["username"] == "marie"
    # The browser's session was started too (the socket authenticates browsers by cookie).
    assert client.get("/api/auth/me").json()["username"] == "marie"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"username": "marie", "password": "short"}, 400, "bad_request"),
        ({"username": "a b", "password": "pass-word-123"}, 400, "bad_request"),
        ({"username": "marie"}, 400, "bad_request"),
    ],
)
def test_register_rejects_bad_input_clearly(payload, status, code):
    response = Client().post("/api/auth/register", payload, "application/json")
    assert response.status_code == status and response.json()["code"] == code and response.json()["message"]


def test_duplicate_username_and_wrong_password():
    client = Client()
    client.post("/api/auth/register", {"username": "marie", "password": "pass-word-123"}, "application/json")
    again = client.post("/api/auth/register", {"username": "MARIE", "password": "pass-word-123"}, "application/json")
    assert again.status_code == 409
    wrong = client.post("/api/auth/token", {"username": "marie", "password": "nope-nope-nope"}, "application/json")
    assert wrong.status_code == 401 and wrong.json()["code"] == "auth_required"


def test_communes_search_by_name_postal_code_and_home_commune(make_user):
    call_command("loaddata", "reunion", verbosity=0)
    by_name = Client().get("/api/communes", {"q": "saint-de"}).json()["items"]
    assert [c["insee"] for c in by_name] == ["97411"]
    by_accentless = Client().get("/api/communes", {"q": "etang"}).json()["items"]
    assert [c["name"] for c in by_accentless] == ["L'Étang-Salé"]
    by_postal = Client().get("/api/communes", {"q": "97490"}).json()["items"]
    assert [c["name"] for c in by_postal] == ["Saint-Denis"]
    user = make_user()
    response = Client().patch("/api/auth/me", {"home_commune": "97416"}, "application/json", **bearer(user))
    assert response.json()["home_commune"] == "97416"
    missing = Client().patch("/api/auth/me", {"home_commune": "00000"}, "application/json", **bearer(user))
    assert missing.status_code == 404


def test_rooms_create_list_and_private_rooms_are_invisible(make_user):
    call_command("loaddata", "reunion", verbosity=0)
    alice, bob = make_user("alice"), make_user("bob")
    created = Client().post(
        "/api/rooms", {"name": "Budget participatif", "commune": "97411"}, "application/json", **bearer(alice)
    )
    assert created.status_code == 201 and created.json()["topic"] == f"room:{created.json()['id']}"
    private = Client().post(
        "/api/rooms", {"name": "Bureau", "visibility": "private"}, "application/json", **bearer(alice)
    )
    private_id = private.json()["id"]
    names = [r["name"] for r in Client().get("/api/rooms", **bearer(bob)).json()["items"]]
    assert names == ["Budget participatif"]
    assert [r["name"] for r in Client().get("/api/rooms", {"commune": "97411"}).json()["items"]] == [
        "Budget participatif"
    ]
    assert Client().get(f"/api/rooms/{private_id}", **bearer(bob)).status_code == 404
    assert Client().get(f"/api/rooms/{private_id}/messages", **bearer(bob)).status_code == 404
    assert Client().get(f"/api/rooms/{private_id}", **bearer(alice)).json()["role"] == "owner"
    anonymous = Client().post("/api/rooms", {"name": "x"}, "application/json")
    assert anonymous.status_code == 401
    bad = Client().post("/api/rooms", {"name": "x", "visibility": "secret"}, "application/json", **bearer(alice))
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"


def test_history_pages_by_seq_both_ways(make_user, make_room):
    alice = make_user("alice")
    room = make_room(alice)
    for i in range(7):
        message_post(author=alice, room_id=room.id, body=f"m{i}")
    url = f"/api/rooms/{room.id}/messages"
    latest = Client().get(url, {"limit": 3}).json()
    assert [m["seq"] for m in latest["items"]] == [5, 6, 7] and latest["head"] == 7
    back = Client().get(url, {"before_seq": 5, "limit": 3}).json()
    assert [m["seq"] for m in back["items"]] == [2, 3, 4]
    forward = Client().get(url, {"after_seq": 2, "limit": 2}).json()
    assert [m["body"] for m in forward["items"]] == ["m2", "m3"]
    assert set(forward["items"][0]) >= {"id", "seq", "author", "body", "at"}
    assert Client().get(url, {"limit": 201}).status_code == 400
    assert Client().get(url, {"limit": "many"}).status_code == 400


def test_http_post_is_idempotent_and_rate_limited(make_user, make_room, settings):
    alice = make_user("alice")
    room = make_room(alice)
    url = f"/api/rooms/{room.id}/messages"
    first = Client().post(url, {"body": "salut", "ref": "r1"}, "application/json", **bearer(alice))
    again = Client().post(url, {"body": "salut", "ref": "r1"}, "application/json", **bearer(alice))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    settings.RATE_LIMIT_BURST = 1
    settings.RATE_LIMIT_PER_SECOND = 0.2
    from realtime import ratelimit

    ratelimit._buckets.clear()
    Client().post(url, {"body": "un", "ref": "r2"}, "application/json", **bearer(alice))
    limited = Client().post(url, {"body": "deux", "ref": "r3"}, "application/json", **bearer(alice))
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited" and limited["Retry-After"]


def test_openapi_document_lists_the_contract():
    spec = Client().get("/api/openapi.json").json()
    for path in ["/api/auth/register", "/api/auth/token", "/api/rooms", "/api/rooms/{room_id}/messages"]:
        assert path in spec["paths"]


def test_demo_data_loads_and_is_idempotent():
    from discussions.demo import ROOMS
    from discussions.models import Message, Room

    call_command("load_demo", verbosity=0)
    counts = Room.objects.count(), Message.objects.count()
    call_command("load_demo", verbosity=0)
    assert (Room.objects.count(), Message.objects.count()) == counts
    # Demo rooms with their messages (events add a room of their own each).
    assert Message.objects.count() >= sum(len(messages) for _, _, messages in ROOMS)
    assert {name for _, name, _ in ROOMS} <= set(Room.objects.values_list("name", flat=True))
