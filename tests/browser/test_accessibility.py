"""An automated accessibility pass (axe-core) on every page: no serious or critical violation."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_event import create_event
from tests.browser.test_outcomes import decided_proposal
from tests.browser.test_proposal import create_proposal
from tests.browser.test_referent_desk import make_referent
from tests.browser.test_room import create_room

pytestmark = pytest.mark.browser


def test_every_page_passes_axe(screens, daphne_server):
    organiser = unique("orga")
    page = screens.signed_up("axe", organiser)
    token = screens.token_of(page)
    room_id = create_room(daphne_server, token, "Jardins partagés")
    with daphne_server.api(token) as client:
        message = client.post(f"/rooms/{room_id}/messages", json={"body": "Qui arrose samedi ?", "ref": "a1"}).json()
        # A reaction with its count: a button whose visible text is not its whole name.
        reacted = client.post(f"/rooms/{room_id}/messages/{message['id']}/reactions", json={"emoji": "👍"})
        assert reacted.status_code == 200, reacted.text
    event = create_event(daphne_server, token, capacity=3, commune="97411", description="Un après-midi au jardin.")
    proposal = create_proposal(daphne_server, token)
    with daphne_server.api(token) as client:
        org = client.post(
            "/organisations",
            json={"kind": "association", "name": "Jardins du Chaudron", "commune": "97411", "tags": ["jardin"]},
        ).json()
        assert client.post(f"/events/{event['id']}/rsvp", json={"status": "going"}).status_code == 200
        asked = client.post(f"/debates/{room_id}/questions", json={"body": "Qui apporte les graines ?"})
        assert asked.status_code == 201, asked.text
    make_referent(daphne_server, organiser, "97411")
    three = ["Tomates", "Salades", "Patates douces"]
    kinds = {
        "consent": create_proposal(daphne_server, token, kind="consent"),
        "approval": create_proposal(daphne_server, token, kind="approval", choices=three),
        "ranked": create_proposal(daphne_server, token, kind="ranked", choices=three),
        "score": create_proposal(daphne_server, token, kind="score", choices=three),
        "dot": create_proposal(daphne_server, token, kind="dot", choices=three),
    }
    decided = decided_proposal(daphne_server, token, commune="97422")  # not in the commune other tests count
    with daphne_server.api(token) as client:
        made = client.post("/actions", json={"proposal": decided["id"], "title": "Acheter les graines"})
        assert made.status_code == 201, made.text
    page.reload()  # the page learns of the referent role when it loads who is signed in
    page.goto(f"/#/room/{room_id}")
    expect(page.get_by_test_id("message").first.locator('[data-emoji="👍"]')).to_have_attribute("data-count", "1")

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
        "welcome": ("#/welcome", "landing-map"),
        "referent-desk": ("#/commune/97411/desk", "desk-search"),
        "members": (f"#/members/{room_id}", "member"),
        "big-screen": (f"#/screen/{room_id}", "screen-questions"),
        "my-events": ("#/mine", "my-event"),
        "account": ("#/account", "home-status"),
        "notifications": ("#/inbox", "prefs"),
        "search": ("#/search/jardin", "search-hit"),
        "tag": ("#/tag/jardin", "tag-title"),
        "outcome-actions": (f"#/proposal/{decided['id']}", "action-volunteer"),
        **{f"ballot-{kind}": (f"#/proposal/{p['id']}", "ballot-submit") for kind, p in kinds.items()},
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
    for tag in ("rooms", "events", "proposals", "organisations"):  # GET, POST, PATCH, DELETE colours
        docs.locator(f'.swagger-ui .opblock-tag[data-tag="{tag}"]').click()  # tags are listed collapsed
    expect(docs.locator(".swagger-ui .opblock").first).to_be_visible()
    found["api-docs"] = axe_violations(docs)

    assert len(found) == 2 * len(pages) + 4
    bad = {name: v for name, v in found.items() if v}
    (ARTIFACTS / "axe-violations.json").write_text(json.dumps(bad, indent=1, ensure_ascii=False))
    assert not bad, bad
    assert not screens.console_errors, screens.console_errors
