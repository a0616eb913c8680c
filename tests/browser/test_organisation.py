"""Organisations in the browser: created from the commune page with its place picked on the map,
a picture uploaded (an SVG refused), a membership request seen live by the admin and approved,
a promoted admin's desk, and that desk gone live when the admin role is withdrawn; the commune
map and stream show a new organisation live; search finds it without accents. FR and EN, phone."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import unique

pytestmark = pytest.mark.browser

SAINTE_ROSE, SALAZIE = "97419", "97421"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 120, 80)).save(out, "PNG")
    return out.getvalue()


def test_create_with_picker_upload_and_live_membership(screens, daphne_server):
    alice_name, bob_name = unique("alice"), unique("bob")
    alice = screens.signed_up("admin-phone", alice_name, phone=True)
    alice.goto(f"/#/commune/{SAINTE_ROSE}")
    alice.get_by_text("Nouvelle organisation").click()
    alice.get_by_test_id("new-org-kind").select_option("association")
    alice.get_by_test_id("new-org-name").fill("Les Amis du Piton")
    alice.get_by_test_id("new-org-tags").fill("randonnée, Volcan")
    picker = alice.get_by_test_id("new-org-picker")
    expect(picker).to_have_attribute("data-ready", "true")
    picker.click(position={"x": 120, "y": 90})
    expect(picker).to_have_attribute("data-picked", re.compile(r"^-21\.\d+,55\.\d+$"))
    assert alice.get_by_test_id("new-org-latitude").input_value() != ""
    alice.get_by_test_id("new-org-submit").click()
    expect(alice.get_by_test_id("org-name")).to_have_text("Les Amis du Piton")
    expect(alice.get_by_test_id("org-tags")).to_contain_text("#volcan")
    expect(alice.get_by_test_id("org-desk")).to_be_visible()

    # A picture: a real PNG is kept; an SVG is refused with a clear message.
    alice.get_by_test_id("org-picture").set_input_files(
        files=[
            {
                "name": "a.svg",
                "mimeType": "image/svg+xml",
                "buffer": b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            }
        ]
    )
    expect(alice.get_by_test_id("org-picture-status")).to_contain_text("SVG")
    alice.get_by_test_id("org-picture").set_input_files(
        files=[{"name": "a.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(alice.get_by_test_id("org-image")).to_be_visible()
    org_url = alice.url

    # bob, in English, asks to join; alice's desk shows the request without a reload.
    bob = screens.signed_up("member-desktop", bob_name)
    bob.get_by_test_id("lang-select").select_option("en")
    bob.goto(org_url)
    bob.get_by_role("button", name="Ask to join").click()
    expect(bob.get_by_test_id("org-my-status")).to_have_text("Your request is waiting for an admin's approval.")
    request = alice.locator(f'[data-testid="org-request"][data-user="{bob_name}"]')
    expect(request).to_be_visible()
    alice.get_by_role("button", name=f"Accepter {bob_name}").click()
    expect(bob.get_by_test_id("org-my-status")).to_have_text("You are a member.")
    alice.get_by_role("button", name=f"Nommer {bob_name} administrateur").click()
    # bob's page hears the role change and opens the admins' desk.
    expect(bob.get_by_test_id("org-desk")).to_be_visible()
    expect(bob.get_by_test_id("org-my-status")).to_have_text("You are an admin of this organisation.")
    bob.screenshot(path=str(screens_dir() / "organisation-bob-admin-en.png"), full_page=True)
    # alice withdraws it: bob's desk goes at once, with a notice.
    alice.get_by_role("button", name=f"Retirer à {bob_name} l'administration").click()
    expect(bob.get_by_test_id("org-notice")).to_have_text("You are no longer an admin of this organisation.")
    expect(bob.get_by_test_id("org-desk")).to_have_count(0)
    # The refused SVG is the only failed request.
    assert all("400" in e for e in screens.console_errors), screens.console_errors


def test_the_commune_map_and_stream_show_a_new_organisation_live_and_search_finds_it(screens, daphne_server):
    token = daphne_server.register(unique("mairie"))
    with daphne_server.api(token) as client:
        first = client.post(
            "/organisations",
            json={"kind": "public", "name": "Mairie de Salazie", "commune": SALAZIE, "tags": ["mairie"]},
        )
        assert first.status_code == 201, first.text
    page = screens.signed_up("phone", unique("noe"), phone=True)
    page.goto(f"/#/commune/{SALAZIE}")
    the_map = page.get_by_test_id("commune-map")
    expect(the_map).to_have_attribute("data-org-markers", "1")
    expect(page.get_by_test_id("commune-orgs").get_by_test_id("org-link")).to_have_text(["Mairie de Salazie"])
    with daphne_server.api(token) as client:
        created = client.post(
            "/organisations",
            json={
                "kind": "association",
                "name": "Comité des fêtes de Hell-Bourg",
                "commune": SALAZIE,
                "latitude": -21.065,
                "longitude": 55.52,
            },
        )
        assert created.status_code == 201, created.text
    expect(the_map).to_have_attribute("data-org-markers", "2")
    news = page.get_by_test_id("news-item").filter(has_text="Comité des fêtes de Hell-Bourg")
    expect(news).to_have_attribute("data-kind", "commune.organisation_created")
    page.get_by_label("Afficher").select_option("events")
    expect(the_map).to_have_attribute("data-org-markers", "0")
    page.get_by_label("Afficher").select_option("")
    page.get_by_label("Centre d'intérêt").fill("mairie")
    expect(the_map).to_have_attribute("data-org-markers", "1")
    page.screenshot(path=str(screens_dir() / "organisation-commune-map-phone.png"), full_page=True)
    # The open data card: the organisations' GeoJSON is a FeatureCollection with both of them.
    expect(page.get_by_test_id("opendata-licence")).to_contain_text("Licence Ouverte")
    geojson = page.get_by_test_id("opendata-organisations-geojson")
    response = page.request.get(geojson.get_attribute("href"))
    assert response.headers["content-type"].startswith("application/geo+json")
    names = sorted(f["properties"]["name"] for f in response.json()["features"])
    assert names == ["Comité des fêtes de Hell-Bourg", "Mairie de Salazie"]
    page.get_by_role("button", name="Mairie de Salazie").tap()  # a finger on a phone
    expect(page.get_by_test_id("org-name")).to_have_text("Mairie de Salazie")
    expect(page.get_by_test_id("org-kind")).to_have_text("Institution publique")

    page.goto("/#/search/comite%20fetes%20hell")
    # The organisation, and its own discussion room, which bears its name.
    expect(page.get_by_test_id("search-hit")).to_have_count(2)
    hit = page.locator('[data-testid="search-hit"][data-kind="organisations"]').get_by_test_id("search-hit-link")
    expect(hit).to_have_text("Comité des fêtes de Hell-Bourg")
    hit.click()
    expect(page.get_by_test_id("org-name")).to_have_text("Comité des fêtes de Hell-Bourg")
    assert not screens.console_errors, screens.console_errors


def screens_dir():
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
