"""An automated accessibility pass (axe-core) on every page: no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_event import create_event
from tests.browser.test_proposal import create_proposal
from tests.browser.test_room import create_room

pytestmark = pytest.mark.browser


def test_every_page_passes_axe(screens, daphne_server):
    organiser = unique("orga")
    page = screens.signed_up("axe", organiser)
    token = screens.token_of(page)
    room_id = create_room(daphne_server, token, "Jardins partagés")
    with daphne_server.api(token) as client:
        client.post(f"/rooms/{room_id}/messages", json={"body": "Qui arrose samedi ?", "ref": "a1"})
    event = create_event(daphne_server, token, capacity=3, commune="97411", description="Un après-midi au jardin.")
    proposal = create_proposal(daphne_server, token)
    with daphne_server.api(token) as client:
        org = client.post(
            "/organisations",
            json={"kind": "association", "name": "Jardins du Chaudron", "commune": "97411", "tags": ["jardin"]},
        ).json()

    pages = {
        "commune-overview": ("#/commune", "overview"),
        "commune": ("#/commune/97411", "commune-events"),
        "room": (f"#/room/{room_id}", "message"),
        "event": (f"#/event/{event['id']}", "attendance"),
        "checkin-desk": (f"#/event/{event['id']}/checkin", "checkin-code"),
        "proposal": (f"#/proposal/{proposal['id']}", "phase"),
        "organisation": (f"#/organisation/{org['id']}", "org-desk"),
        "profile": ("#/me", "profile-save"),
        "person": (f"#/person/{organiser}", "person-name"),
        "moderation": (f"#/moderation/{room_id}", "h-audit"),
    }
    found = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("fr", "en"):
        page.goto("/#/commune")
        page.get_by_test_id("lang-select").select_option(lang)
        for name, (route, ready) in pages.items():
            page.goto(f"/{route}")
            expect(page.get_by_test_id(ready).first).to_be_visible()
            found[f"{lang}:{name}"] = axe_violations(page)
            page.screenshot(path=str(ARTIFACTS / f"test_every_page_passes_axe-{lang}-{name}.png"), full_page=True)
    # Signed out: the first screen (its map and list), the sign-in page, a room as an anonymous reader.
    anonymous = screens.new_page("axe-anonymous", phone=True)
    anonymous.goto("/")
    expect(anonymous.get_by_test_id("landing-map")).to_have_attribute("data-ready", "true")
    anonymous.get_by_test_id("landing-list-open").click()
    found["welcome"] = axe_violations(anonymous)
    anonymous.goto("/#/signin")
    expect(anonymous.get_by_test_id("register-submit")).to_be_visible()
    found["signin"] = axe_violations(anonymous)
    anonymous.goto(f"/#/room/{room_id}")
    expect(anonymous.get_by_test_id("signin-prompt")).to_be_visible()
    found["room-anonymous"] = axe_violations(anonymous)
    # The pass can fail: a nameless button is reported.
    anonymous.evaluate("document.getElementById('main').append(document.createElement('button'))")
    assert "button-name" in {v["id"] for v in axe_violations(anonymous)}
    anonymous.evaluate("document.querySelector('#main > button:last-child').remove()")
    docs = screens.new_page("axe-docs")
    docs.goto("/api/docs")
    docs.locator('.swagger-ui .opblock-tag[data-tag="rooms"]').click()  # tags are listed collapsed
    expect(docs.locator(".swagger-ui .opblock").first).to_be_visible()

    assert len(found) == 2 * len(pages) + 3
    bad = {name: v for name, v in found.items() if v}
    assert not bad, bad
    assert not screens.console_errors, screens.console_errors
