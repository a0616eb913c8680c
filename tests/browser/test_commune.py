"""'Ma commune': find a commune by name or postal code, see its rooms, make it your home."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique

pytestmark = pytest.mark.browser


def test_find_commune_by_postal_code_and_open_its_room(screens, daphne_server):
    page = screens.signed_up("phone", unique("emma"), phone=True)
    with daphne_server.api(screens.token_of(page)) as client:
        response = client.post(
            "/rooms",
            json={
                "name": "Quartier du Butor",
                "visibility": "public",
                "commune": "97411",
            },
        )
        assert response.status_code == 201, response.text

    page.goto("/#/commune")
    page.get_by_label("Rechercher une commune (nom ou code postal)").fill("97490")
    result = page.get_by_test_id("commune-result").filter(has_text="Saint-Denis")
    expect(result).to_be_visible()
    result.click()
    expect(page.get_by_test_id("commune-name")).to_have_text("Saint-Denis")
    room_link = page.get_by_test_id("room-link").filter(has_text="Quartier du Butor")
    expect(room_link).to_be_visible()

    page.get_by_test_id("set-home").click()
    expect(page.get_by_test_id("home-commune")).to_be_visible()
    # Home now opens straight on the commune.
    page.goto("/#/")
    expect(page.get_by_test_id("commune-name")).to_have_text("Saint-Denis")

    room_link.click()
    expect(page.get_by_test_id("room-name")).to_have_text("Quartier du Butor")
    errors = screens.console_errors
    openapi = httpx.get(f"{daphne_server.url}/api/openapi.json").text
    for api in ("/api/events", "/api/proposals"):
        if api not in openapi:  # that app's API is not merged yet: its list answers 404
            errors = [e for e in errors if api not in e and "404 (Not Found)" not in e]
    assert not errors, errors
