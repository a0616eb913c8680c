"""The search box: an accented title found without accents, private rooms hidden, keyboard only, FR/EN."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique

pytestmark = pytest.mark.browser


def test_search_finds_accented_titles_typed_without_accents(screens, daphne_server):
    tag = unique("q")
    owner = screens.signed_up("owner", unique("lea"))
    with daphne_server.api(screens.token_of(owner)) as client:
        for name, visibility in ((f"Réunion du quartier {tag}", "public"), (f"Réunion secrète {tag}", "private")):
            response = client.post("/rooms", json={"name": name, "visibility": visibility, "commune": "97411"})
            assert response.status_code == 201, response.text

    page = screens.signed_up("phone", unique("noe"), phone=True)
    page.get_by_test_id("nav-toggle").click()  # a phone: the links are behind the menu button
    page.get_by_test_id("nav-search").click()
    # Keyboard only: the box has focus, Enter submits.
    expect(page.get_by_label("Mots à chercher")).to_be_focused()
    page.keyboard.type(f"reunion {tag}")
    page.keyboard.press("Enter")
    hit = page.get_by_test_id("search-hit-link")
    expect(hit).to_have_count(1)
    expect(hit).to_have_text(f"Réunion du quartier {tag}")  # the private room stays hidden
    expect(page.get_by_test_id("search-status")).to_have_text("1 résultat")

    # The owner, a member of the private room, finds both; in English.
    owner.get_by_test_id("lang-select").select_option("en")
    owner.goto(f"/#/search/reunion%20{tag}")
    expect(owner.get_by_test_id("search-hit-link")).to_have_count(2)
    expect(owner.get_by_test_id("search-status")).to_have_text("2 results")
    owner.get_by_label("In", exact=True).select_option("events")
    owner.get_by_test_id("search-submit").click()
    expect(owner.get_by_test_id("search-status")).to_have_text("0 results")

    hit.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("room-name")).to_have_text(f"Réunion du quartier {tag}")
    assert not screens.console_errors, screens.console_errors


def test_search_pages_through_many_results(screens, daphne_server):
    tag = unique("p")
    page = screens.signed_up("desktop", unique("max"))
    with daphne_server.api(screens.token_of(page)) as client:
        for i in range(12):
            response = client.post("/rooms", json={"name": f"Atelier vélo {tag} {i}", "visibility": "public"})
            assert response.status_code == 201, response.text
    page.goto(f"/#/search/velo%20{tag}")
    expect(page.get_by_test_id("search-status")).to_have_text("12 résultats")
    expect(page.get_by_test_id("search-hit")).to_have_count(10)
    expect(page.get_by_test_id("search-prev")).to_be_hidden()
    page.get_by_test_id("search-next").click()
    expect(page.get_by_test_id("search-hit")).to_have_count(2)
    expect(page.get_by_test_id("search-next")).to_be_hidden()
    assert not screens.console_errors, screens.console_errors


def test_postal_code_97410_lists_saint_pierre_first(screens):
    page = screens.new_page("phone", phone=True)
    page.goto("/#/commune")
    page.get_by_label("Rechercher une commune (nom ou code postal)").fill("97410")
    first = page.get_by_test_id("commune-result").first
    expect(first).to_have_text("Saint-Pierre (97410, 97432)")
    assert not screens.console_errors, screens.console_errors
