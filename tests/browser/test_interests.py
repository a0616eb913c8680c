"""Interests in the browser: a tags field suggests existing tags while typing; your commune's page
lists who and what near you shares your interests, most shared first; a tag opens its page.
Phone-sized, French then English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique

pytestmark = pytest.mark.browser

LE_PORT = "97407"


def neighbour(server, name: str, interests: list[str], display: str) -> None:
    token = server.register(name)
    with server.api(token) as client:
        assert client.patch("/auth/me", json={"home_commune": LE_PORT}).status_code == 200
        response = client.patch(
            "/people/me",
            json={"interests": interests, "discoverable": True, "visibility": "signed_in", "display_name": display},
        )
        assert response.status_code == 200, response.text


def test_suggestions_nearby_and_tag_page(screens, daphne_server):
    tag = unique("kayak").lower()
    neighbour(daphne_server, unique("bea"), [tag, "voile"], "Béa")
    neighbour(daphne_server, unique("cyr"), [tag], "Cyril")
    neighbour(daphne_server, unique("dan"), ["pétanque"], "Dan")
    with daphne_server.api(daphne_server.register(unique("club"))) as client:
        club = client.post(
            "/organisations",
            json={"kind": "association", "name": "Club nautique du Port", "commune": LE_PORT, "tags": [tag]},
        )
        assert club.status_code == 201, club.text

    page = screens.signed_up("phone", unique("eve"), phone=True)
    with daphne_server.api(screens.token_of(page)) as client:
        assert client.patch("/auth/me", json={"home_commune": LE_PORT}).status_code == 200
    page.reload()  # the client reads the new home commune at start
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
    page.get_by_test_id("nav-toggle").click()  # a phone: the links are behind the menu button
    page.get_by_test_id("nav-profile").click()
    interests = page.get_by_test_id("profile-interests")
    interests.fill("voile, " + tag[:6])
    suggestion = page.get_by_test_id("tag-suggestion").filter(has_text=f"#{tag}")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(interests).to_have_value(f"voile, {tag}, ")
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-status")).to_have_text("Profil enregistré.")

    page.goto(f"/#/commune/{LE_PORT}")
    people = page.get_by_test_id("nearby-person")
    expect(people).to_have_count(2)  # Dan shares nothing
    expect(people.first.get_by_role("link").first).to_have_text("Béa")  # two shared interests
    expect(people.nth(1).get_by_role("link").first).to_have_text("Cyril")
    expect(page.get_by_test_id("nearby-orgs")).to_contain_text("Club nautique du Port")
    page.screenshot(path=str(ARTIFACTS / "interests-nearby-phone-fr.png"), full_page=True)

    page.get_by_test_id("nearby-people").get_by_role("link", name=f"#{tag}").first.click()
    expect(page.get_by_test_id("tag-title")).to_have_text(f"#{tag}")
    expect(page.get_by_test_id("tag-organisations")).to_contain_text("Club nautique du Port")
    expect(page.get_by_test_id("tag-people").get_by_role("link")).to_have_count(3)  # Béa, Cyril and me

    page.get_by_test_id("lang-select").select_option("en")
    page.goto(f"/#/commune/{LE_PORT}")
    expect(page.get_by_role("heading", name="Near you, sharing your interests")).to_be_visible()
    page.get_by_label("Where").select_option("30")
    expect(page.get_by_test_id("nearby-person")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "interests-nearby-phone-en.png"), full_page=True)
    assert not screens.console_errors, screens.console_errors
