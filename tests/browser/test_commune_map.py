"""The commune map (no network: MAP_TILE_URL is empty in tests): markers for events with
coordinates, clustered past 50, filtered by type, opened by a click or the keyboard, and new
events appear live from the commune's news."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_event import create_event

pytestmark = pytest.mark.browser

SAINT_LEU, CILAOS = "97413", "97424"


def test_markers_open_their_event_filter_by_type_and_arrive_live(screens, daphne_server):
    organiser = daphne_server.register(unique("orga"))
    market = create_event(
        daphne_server,
        organiser,
        title="Marché de Saint-Leu",
        type="market",
        commune=SAINT_LEU,
        latitude=-21.17,
        longitude=55.29,
    )
    create_event(
        daphne_server,
        organiser,
        title="Concert au port",
        type="concert",
        commune=SAINT_LEU,
        latitude=-21.16,
        longitude=55.28,
    )
    page = screens.signed_up("phone", unique("leo"), phone=True)
    page.goto(f"/#/commune/{SAINT_LEU}")
    the_map = page.get_by_test_id("commune-map")
    expect(the_map).to_have_attribute("data-markers", "2")
    expect(the_map).to_have_attribute("data-clustered", "false")
    expect(page.get_by_test_id("map-marker")).to_have_count(2)

    page.get_by_label("Type", exact=True).select_option("market")
    expect(the_map).to_have_attribute("data-markers", "1")
    page.get_by_label("Type", exact=True).select_option("")
    expect(the_map).to_have_attribute("data-markers", "2")

    # Created elsewhere: its marker appears without a reload.
    create_event(
        daphne_server,
        organiser,
        title="Atelier vannerie",
        type="workshop",
        commune=SAINT_LEU,
        latitude=-21.18,
        longitude=55.30,
    )
    expect(the_map).to_have_attribute("data-markers", "3")
    expect(page.get_by_role("button", name="Atelier vannerie")).to_be_visible()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "commune_map-phone-markers.png"), full_page=True)
    # Keyboard: a marker takes the focus and Enter opens its event.
    page.get_by_role("button", name="Marché de Saint-Leu").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{daphne_server.url}/#/event/{market['id']}")
    assert not screens.console_errors, screens.console_errors


def test_more_than_fifty_events_cluster_and_a_click_still_opens_one(screens, daphne_server):
    tokens = [daphne_server.register(unique("asso")) for _ in range(2)]
    for i in range(60):
        create_event(
            daphne_server,
            tokens[i % 2],
            title=f"Randonnée {i}",
            type="others",
            commune=CILAOS,
            latitude=-21.13 + (i % 10) * 0.002,
            longitude=55.47 + (i // 10) * 0.002,
        )
    page = screens.new_page("desktop")
    page.goto(f"/#/commune/{CILAOS}")
    the_map = page.get_by_test_id("commune-map")
    expect(the_map).to_have_attribute("data-markers", "60")
    expect(the_map).to_have_attribute("data-clustered", "true")
    clusters = page.locator(".marker-cluster")
    expect(clusters.first).to_be_visible()
    assert page.get_by_test_id("map-marker").count() < 60
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    the_map.screenshot(path=str(ARTIFACTS / "commune_map-desktop-clusters.png"))
    # Zoomed in on one event's place, its cluster opens into markers; a click opens the event.
    the_map.evaluate("el => el.leafletMap.setView([-21.13, 55.47], 19, {animate: false})")
    # markercluster still moves the markers out of their cluster for 200 ms after the zoom (the
    # map pane's `leaflet-cluster-anim` class): a click during that glides off the marker.
    expect(page.locator(".leaflet-cluster-anim")).to_have_count(0)
    # The marker at the view's centre: another one may sit at the map's edge, half clipped, where
    # a click at its centre lands outside the map (a CI run clicked that one and went nowhere).
    marker = page.locator('[data-testid="map-marker"][title="Randonnée 0"]')
    expect(marker).to_be_visible()
    marker.click()
    expect(page.get_by_test_id("event-title")).to_have_text("Randonnée 0")
    assert not screens.console_errors, screens.console_errors


def test_the_csp_allows_exactly_the_tile_host(daphne_server):
    csp = httpx.get(f"{daphne_server.url}/").headers["content-security-policy"]
    img = next(d for d in csp.split(";") if d.strip().startswith("img-src"))
    assert img.split() == ["img-src", "'self'", "data:"]  # MAP_TILE_URL is empty here
    assert httpx.get(f"{daphne_server.url}/api/map").json()["tile_url"] == ""
