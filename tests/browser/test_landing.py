"""The first screen of a newcomer who is not signed in: the map of the communes, events and
organisations (clustered, keyboard usable, no tiles from the internet), the same as a list,
French and English, phone-sized."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_event import create_event

pytestmark = pytest.mark.browser

SAINT_DENIS = (-20.8823, 55.4504)


def test_a_newcomer_lands_on_the_map_and_its_list(screens, daphne_server):
    token = daphne_server.register(unique("orga"))
    placed = create_event(
        daphne_server, token, title="Pique-nique à la Providence", commune="97411", latitude=-20.89, longitude=55.45
    )
    create_event(daphne_server, token, title="Kabar à Saint-Paul", commune="97415")  # at its commune's centre
    with daphne_server.api(token) as client:
        made = client.post(
            "/organisations", json={"kind": "association", "name": "Les Ti Moun du Port", "commune": "97407"}
        )
        assert made.status_code == 201, made.text

    page = screens.new_page("newcomer-fr", phone=True)
    elsewhere: list[str] = []
    page.on("request", lambda r: urlparse(r.url).hostname != "127.0.0.1" and elsewhere.append(r.url))
    page.goto("/")
    expect(page).to_have_url(f"{daphne_server.url}/#/welcome")
    expect(page.get_by_test_id("welcome-title")).to_contain_text("la vie de votre commune")
    the_map = page.get_by_test_id("landing-map")
    expect(the_map).to_have_attribute("data-ready", "true")
    expect(the_map).to_have_attribute("data-communes", "24")
    expect(the_map).to_have_attribute("data-clustered", "true")
    events_on_map = int(the_map.get_attribute("data-events"))
    assert events_on_map >= 2
    # The list holds every upcoming event; the map those with a place (a commune's, at least).
    assert page.get_by_test_id("landing-item-events").count() >= events_on_map
    expect(page.get_by_test_id("landing-item-events").filter(has_text="Kabar à Saint-Paul")).to_contain_text("Kabar")
    expect(page.get_by_test_id("landing-item-organisations").filter(has_text="Les Ti Moun du Port")).to_have_count(1)
    # At the island's scale the markers crowd into clusters.
    expect(page.locator(".marker-cluster").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_landing-phone-fr.png"), full_page=True)

    # Keyboard: the skip link goes to the list, not through every marker.
    page.get_by_test_id("skip-map").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "h-landing-list"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "landing-item-communes"

    # A cluster zooms in on Enter; a marker opens its page on Enter.
    zoom = page.evaluate("document.querySelector('[data-testid=landing-map]').leafletMap.getZoom()")
    page.locator(".marker-cluster").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('[data-testid=landing-map]').leafletMap.getZoom() > {zoom}")
    page.reload()
    expect(the_map).to_have_attribute("data-ready", "true")
    # Communes only: events placed at a commune's centre (other tests' too, on a shared server)
    # would share its spot and keep its marker inside a cluster.
    page.get_by_label("Montrer").select_option("communes")
    expect(the_map).to_have_attribute("data-communes", "24")
    page.evaluate(
        f"document.querySelector('[data-testid=landing-map]').leafletMap.setView({list(SAINT_DENIS)}, 17, {{animate: false}})"
    )
    marker = page.locator('[data-testid="landing-marker-communes"][aria-label="Saint-Denis"]')
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("commune-name")).to_have_text("Saint-Denis")

    # One filter for both: events only.
    page.goto("/#/welcome")
    expect(the_map).to_have_attribute("data-ready", "true")
    page.get_by_label("Montrer").select_option("events")
    expect(the_map).to_have_attribute("data-communes", "0")
    expect(page.get_by_test_id("landing-list-communes")).to_be_hidden()
    expect(page.get_by_test_id("landing-status")).to_contain_text("0 commune")
    page.evaluate(
        "document.querySelector('[data-testid=landing-map]').leafletMap.setView([-20.89, 55.45], 17, {animate: false})"
    )
    expect(page.locator(".leaflet-cluster-anim")).to_have_count(0)  # the clusters' 200 ms split (test_commune_map)
    page.locator('[data-testid="landing-marker-events"][aria-label="Pique-nique à la Providence"]').click()
    expect(page).to_have_url(f"{daphne_server.url}/#/event/{placed['id']}")

    # English, desktop: no French on the map or its list; the way in is one link away.
    english = screens.new_page("newcomer-en")
    english.add_init_script("localStorage.setItem('cl.lang', 'en')")
    english.goto("/")
    expect(english.get_by_test_id("landing-map")).to_have_attribute("data-ready", "true")
    expect(english.get_by_test_id("landing")).to_contain_text("The map of the communes")
    expect(english.get_by_test_id("landing-status")).to_contain_text("24 communes")
    expect(
        english.get_by_test_id("landing-list-organisations").locator("li", has_text="Les Ti Moun du Port")
    ).to_contain_text("Association · Le Port")
    expect(english.get_by_test_id("skip-map")).to_have_text("Skip the map: the same as a list")
    english.screenshot(path=str(ARTIFACTS / "test_landing-desktop-en.png"), full_page=True)
    english.get_by_test_id("welcome-join").click()
    expect(english.get_by_test_id("register-submit")).to_be_visible()

    assert not elsewhere, elsewhere  # no tiles nor anything else from the internet
    assert not screens.console_errors, screens.console_errors
