"""The referent desk in a real browser: a referent of Saint-Denis finds a person who declared
the commune and verifies them; someone who is not a referent gets no desk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, unique
from tests.browser.test_event import create_event

pytestmark = pytest.mark.browser


def make_referent(server, username: str, insee: str) -> None:
    """Staff grant the role in the admin; here the same service, on the server's database."""
    server.run_python(
        "from django.contrib.auth import get_user_model; from communes.services import referent_grant; "
        f"referent_grant(insee={insee!r}, user=get_user_model().objects.get(username={username!r}))"
    )


def declared(server, username: str, insee: str) -> str:
    token = server.register(username)
    with server.api(token) as client:
        assert client.patch("/auth/me", json={"home_commune": insee}).status_code == 200
    return token


def test_a_referent_verifies_a_declared_resident_at_the_desk(screens, daphne_server):
    referent, stem = unique("mairie"), unique("hab")
    resident, elsewhere = f"{stem}a", f"{stem}b"
    resident_token = declared(daphne_server, resident, "97411")
    declared(daphne_server, elsewhere, "97416")  # declared Saint-Pierre: not at Saint-Denis' desk
    daphne_server.register(referent)
    make_referent(daphne_server, referent, "97411")

    page = screens.new_page("desk", phone=True)
    page.goto("/#/signin")
    page.get_by_test_id("signin-username").fill(referent)
    page.get_by_test_id("signin-password").fill(PASSWORD)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("me")).to_contain_text(referent)
    page.goto("/#/commune/97411")
    page.get_by_test_id("desk-link").click()
    expect(page.get_by_test_id("desk-title")).to_have_text("Guichet des référent·es — Saint-Denis")
    expect(page.get_by_test_id("desk-verifications")).to_contain_text("Aucune vérification pour l’instant.")
    expect(page.get_by_test_id("desk-search")).to_be_focused()
    page.keyboard.type(stem)
    page.keyboard.press("Enter")
    people = page.get_by_test_id("desk-person")
    expect(people).to_have_count(1)
    expect(people.first).to_have_attribute("data-username", resident)
    page.get_by_test_id("desk-verify").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("desk-status")).to_have_text(f"{resident} est maintenant habitant·e vérifié·e.")
    expect(page.get_by_test_id("desk-person-verified")).to_contain_text("vérifié·e le")
    expect(page.get_by_test_id("desk-verification")).to_have_attribute("data-username", resident)
    expect(page.get_by_test_id("desk-verification")).to_contain_text("au guichet")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    with daphne_server.api(resident_token) as client:
        assert client.get("/auth/me").json()["home_commune_verified"] is True

    page.get_by_test_id("lang-select").select_option("en")
    expect(page.get_by_test_id("desk-title")).to_have_text("Referent desk — Saint-Denis")
    expect(page.get_by_test_id("desk-verification")).to_contain_text("at the desk")

    # The resident's own account page says so; a non-referent has no desk link and no desk.
    other = screens.signed_up("resident-view", unique("curieux"), phone=True)
    other.goto("/#/commune/97411")
    expect(other.get_by_test_id("commune-name")).to_have_text("Saint-Denis")
    expect(other.get_by_test_id("desk-link")).to_have_count(0)
    other.goto("/#/commune/97411/desk")
    expect(other.get_by_test_id("desk-refused")).to_be_visible()
    with daphne_server.api(screens.token_of(other)) as client:
        refused = client.post("/auth/residents/verify", json={"commune": "97411", "username": resident})
        assert refused.status_code == 403
    assert screens.console_errors == []


def going(server, token: str, event_id: int) -> str:
    with server.api(token) as client:
        assert client.post(f"/events/{event_id}/rsvp", json={"status": "going"}).status_code == 200
        return client.get(f"/events/{event_id}").json()["ticket"]["code"]


def test_the_check_in_desk_of_an_event_in_the_commune_also_verifies_residents(screens, daphne_server):
    referent = unique("porte")
    page = screens.signed_up("checkin", referent, phone=True)
    make_referent(daphne_server, referent, "97411")
    event = create_event(daphne_server, screens.token_of(page), title="Fête de quartier", commune="97411")
    local, visitor = unique("local"), unique("visiteur")
    local_code = going(daphne_server, declared(daphne_server, local, "97411"), event["id"])
    visitor_code = going(daphne_server, declared(daphne_server, visitor, "97416"), event["id"])

    page.reload()  # the referent role was granted after this page loaded `me`
    expect(page.get_by_test_id("me")).to_contain_text(referent)
    page.goto(f"/#/event/{event['id']}/checkin")
    verify = page.get_by_test_id("checkin-verify")
    expect(page.get_by_label("Vérifier aussi comme habitant·e de Saint-Denis")).to_be_visible()
    verify.check()
    page.get_by_test_id("checkin-code").fill(local_code)
    page.get_by_test_id("checkin-code").press("Enter")
    result = page.get_by_test_id("checkin-result")
    expect(result).to_contain_text(f"{local} est aussi vérifié·e comme habitant·e.")
    expect(result).to_have_attribute("data-resident", "verified")
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "1")

    # Someone who declared Saint-Pierre: refused, nothing written, a plain check-in offered.
    page.get_by_test_id("checkin-code").fill(visitor_code)
    page.get_by_test_id("checkin-code").press("Enter")
    expect(result).to_contain_text("has not declared Saint-Denis")  # the server's reason, after the French error
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "1")
    page.get_by_test_id("checkin-without-verify").click()
    expect(result).to_contain_text(f"{visitor} n’a pas déclaré cette commune.")
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "2")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    # The verification is recorded as made at a check-in, by this referent.
    page.goto("/#/commune/97411/desk")
    expect(page.get_by_test_id("desk-verification")).to_have_attribute("data-username", local)
    expect(page.get_by_test_id("desk-verification")).to_contain_text("à l’accueil d’un événement")
    with daphne_server.api(screens.token_of(page)) as client:
        made = client.get("/auth/residents/verifications", params={"commune": "97411"}).json()["items"]
        assert [(v["username"], v["method"]) for v in made] == [(local, "checkin")]
    screens.console_errors[:] = [e for e in screens.console_errors if "409" not in e]
    assert screens.console_errors == []
