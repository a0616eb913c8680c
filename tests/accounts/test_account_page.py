"""What the account page relies on: revoking a sign-in ends its browser session too, "sign out
everywhere else" keeps only the caller's token, and `GET /api/auth/me` tells when the home
commune may change again and which communes the user is a referent of."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

PASSWORD = "pass-word-123"

pytestmark = pytest.mark.django_db


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _sign_in(client: Client, username: str) -> str:
    response = client.post("/api/auth/token", {"username": username, "password": PASSWORD}, "application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_revoking_a_sign_in_ends_its_browser_session_and_announces_it():
    from accounts.models import CredentialRevocation, User
    from realtime.revocation import session_credential

    User.objects.create_user("marie", password=PASSWORD)
    laptop, phone = Client(), Client()
    _sign_in(laptop, "marie")
    phone_token = _sign_in(phone, "marie")
    phone_session = phone.session.session_key
    assert phone.get("/api/auth/me").status_code == 200  # the phone's cookie alone reads
    listed = Client().get("/api/auth/tokens", **_bearer(phone_token)).json()["items"]
    phone_id = next(t["id"] for t in listed if t["current"])
    laptop_token = next(t for t in listed if not t["current"])
    assert laptop.delete(f"/api/auth/tokens/{phone_id}").status_code == 401  # a cookie alone may not write
    laptop_key = _sign_in(laptop, "marie")
    assert laptop.delete(f"/api/auth/tokens/{phone_id}", **_bearer(laptop_key)).status_code == 204
    assert phone.get("/api/auth/me").status_code == 401  # the phone's session is over too
    assert Client().get("/api/auth/me", **_bearer(phone_token)).status_code == 401
    assert CredentialRevocation.objects.filter(credential=session_credential(phone_session)).exists()
    assert CredentialRevocation.objects.filter(credential=f"token:{phone_id}").exists()
    assert laptop.get("/api/auth/me").status_code == 200
    assert laptop_token["label"].startswith("sign-in")


def test_sign_out_everywhere_else_keeps_only_the_callers_token_and_session():
    from accounts.models import User

    User.objects.create_user("marie", password=PASSWORD)
    User.objects.create_user("paul", password=PASSWORD)
    here, elsewhere, third = Client(), Client(), Client()
    mine = _sign_in(here, "marie")
    others = [_sign_in(elsewhere, "marie"), _sign_in(third, "marie")]
    pauls = _sign_in(Client(), "paul")
    answer = here.post("/api/auth/tokens/revoke-others", "{}", "application/json", **_bearer(mine))
    assert answer.status_code == 200 and answer.json() == {"revoked": 2}
    assert all(Client().get("/api/auth/me", **_bearer(t)).status_code == 401 for t in others)
    assert elsewhere.get("/api/auth/me").status_code == 401 and third.get("/api/auth/me").status_code == 401
    assert Client().get("/api/auth/me", **_bearer(mine)).status_code == 200
    assert here.get("/api/auth/me").status_code == 200
    assert Client().get("/api/auth/me", **_bearer(pauls)).status_code == 200  # someone else's stay
    again = Client().post("/api/auth/tokens/revoke-others", "{}", "application/json", **_bearer(mine))
    assert again.json() == {"revoked": 0}
    assert Client().post("/api/auth/tokens/revoke-others", "{}", "application/json").status_code == 401


def test_me_tells_when_the_home_commune_may_change_again(settings):
    from accounts.models import HomeCommuneChange, User
    from communes.models import Commune, Referent, ResidentVerification

    settings.HOME_COMMUNE_CHANGE_DAYS = 30
    Commune.objects.create(insee="97411", name="Saint-Denis")
    Commune.objects.create(insee="97416", name="Saint-Pierre")
    user = User.objects.create_user("marie", password=PASSWORD)
    token = _sign_in(Client(), "marie")
    me = Client().get("/api/auth/me", **_bearer(token)).json()
    assert me["home_commune"] is None and me["home_commune_changed_at"] is None
    assert me["home_commune_next_change_at"] is None and me["home_commune_change_days"] == 30
    assert me["referent_of"] == [] and me["home_commune_verified"] is False

    moved = Client().patch("/api/auth/me", {"home_commune": "97411"}, "application/json", **_bearer(token))
    assert moved.status_code == 200
    body = moved.json()
    assert body["home_commune"] == "97411" and body["home_commune_changed_at"]
    change = HomeCommuneChange.objects.get(user=user)
    assert body["home_commune_next_change_at"].startswith((change.at + timedelta(days=30)).date().isoformat())
    refused = Client().patch("/api/auth/me", {"home_commune": "97416"}, "application/json", **_bearer(token))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"

    HomeCommuneChange.objects.filter(user=user).update(at=timezone.now() - timedelta(days=31))
    Referent.objects.create(commune_id="97416", user=user)
    ResidentVerification.objects.create(commune_id="97411", user=user)
    me = Client().get("/api/auth/me", **_bearer(token)).json()
    assert me["home_commune_next_change_at"] is None  # a change is allowed now
    assert me["home_commune_verified"] is True and me["referent_of"] == ["97416"]
