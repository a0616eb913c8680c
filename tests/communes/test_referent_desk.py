"""The referent desk's reads: only a referent of the commune finds the people who declared it
(by part of a name, never the whole list) and sees the verifications they made."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


@pytest.fixture
def town():
    from accounts.models import User
    from communes.models import Commune, Referent

    Commune.objects.create(insee="97411", name="Saint-Denis")
    Commune.objects.create(insee="97416", name="Saint-Pierre")
    people = {
        name: User.objects.create_user(name, password=PASSWORD)
        for name in ("marie", "paula", "paulo", "pauline", "remy")
    }
    for name in ("paula", "paulo", "remy"):
        User.objects.filter(username=name).update(home_commune_id="97411")
    User.objects.filter(username="pauline").update(home_commune_id="97416")
    Referent.objects.create(commune_id="97411", user=people["marie"])
    return people


def _as(username: str) -> dict:
    response = Client().post("/api/auth/token", {"username": username, "password": PASSWORD}, "application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def test_a_referent_finds_declared_residents_verifies_one_and_sees_it_listed(town):
    marie = _as("marie")
    found = Client().get("/api/auth/residents", {"commune": "97411", "q": "PAUL"}, **marie)
    assert found.status_code == 200
    assert [(p["username"], p["verified"]) for p in found.json()["items"]] == [("paula", False), ("paulo", False)]
    verify = Client().post(
        "/api/auth/residents/verify", {"commune": "97411", "username": "paulo"}, "application/json", **marie
    )
    assert verify.status_code == 200
    again = Client().get("/api/auth/residents", {"commune": "97411", "q": "paul"}, **marie).json()["items"]
    assert [(p["username"], p["verified"]) for p in again] == [("paula", False), ("paulo", True)]
    made = Client().get("/api/auth/residents/verifications", {"commune": "97411"}, **marie).json()["items"]
    assert [(v["username"], v["method"]) for v in made] == [("paulo", "desk")]


def test_the_desk_is_refused_to_others_and_never_lists_the_whole_commune(town):
    remy, marie = _as("remy"), _as("marie")
    for path in ("/api/auth/residents", "/api/auth/residents/verifications"):
        refused = Client().get(path, {"commune": "97411", "q": "paul"}, **remy)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        assert Client().get(path, {"commune": "97411", "q": "paul"}).status_code == 401
        # A referent of Saint-Denis is nobody at Saint-Pierre's desk.
        assert Client().get(path, {"commune": "97416", "q": "paul"}, **marie).status_code == 403
        assert Client().get(path, {"commune": "99999", "q": "paul"}, **marie).status_code == 404
    short = Client().get("/api/auth/residents", {"commune": "97411", "q": "p"}, **marie)
    assert short.status_code == 400 and "at least 2" in short.json()["message"]
    nul = Client().get("/api/auth/residents", {"commune": "97411", "q": "pa\x00"}, **marie)
    assert nul.status_code in (200, 400)
