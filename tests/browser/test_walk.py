"""Every route of the client's hash router, walked on a phone in French and in English: no console
error, no raw message key nor "null" on screen, nothing wider than the phone, and no serious or
critical axe violation. The list of routes is read from the router, so a new route must be walked."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import ARTIFACTS, REPO_ROOT, unique
from tests.browser.test_event import create_event
from tests.browser.test_proposal import create_proposal
from tests.browser.test_referent_desk import make_referent
from tests.browser.test_room import create_room

pytestmark = pytest.mark.browser

KEY = re.compile(r'^\s*"([a-z_]+\.[a-z0-9_.]+)":', re.MULTILINE)
# What a template or a native DOM call prints when it is handed nothing.
JUNK = re.compile(r"\bnull\b|\bundefined\b|\bNaN\b|\[object Object\]|Invalid Date")


def router_routes() -> set[str]:
    """The first segment of every hash route app.js's router knows."""
    source = (REPO_ROOT / "static" / "js" / "app.js").read_text(encoding="utf-8")
    router = source[source.index("async function route()") :]
    return set(re.findall(r'^\s*case "([a-z]+)":', router, re.MULTILINE))


def message_keys() -> set[str]:
    return set(KEY.findall((REPO_ROOT / "static" / "js" / "i18n" / "fr.js").read_text(encoding="utf-8")))


def screen_faults(page, keys: set[str]) -> dict:
    """What a user would trip over on the page as it stands."""
    text = page.inner_text("body")
    faults = {
        "raw_keys": sorted(k for k in keys if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w.])", text)),
        "junk": sorted(set(JUNK.findall(text))),
        # Against the viewport asked for: a phone's layout viewport grows with what overflows it.
        "overflow": page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"],
        "axe": axe_violations(page),
    }
    return {name: found for name, found in faults.items() if found}


def test_every_route_on_a_phone_in_french_and_english(screens, daphne_server):
    organiser = unique("orga")
    page = screens.signed_up("walk", organiser, phone=True)
    token = screens.token_of(page)
    room_id = create_room(daphne_server, token, "Jardins partagés")
    event = create_event(daphne_server, token, capacity=5, commune="97411", description="Un après-midi au jardin.")
    proposal = create_proposal(daphne_server, token)
    with daphne_server.api(token) as client:
        assert client.post(f"/rooms/{room_id}/messages", json={"body": "Qui arrose ?", "ref": "w1"}).status_code in (
            200,
            201,
        )
        org = client.post(
            "/organisations",
            json={"kind": "association", "name": "Jardins du Chaudron", "commune": "97411", "tags": ["jardin"]},
        ).json()
        assert client.post(f"/events/{event['id']}/rsvp", json={"status": "going"}).status_code == 200
        assert client.patch("/auth/me", json={"home_commune": "97411"}).status_code == 200
    make_referent(daphne_server, organiser, "97411")
    page.reload()  # the page learns of the referent role and the home commune when it loads who is signed in

    # route → (hash, a test id shown once the page has loaded)
    walk = {
        "": ("#/", "commune-name"),  # the default route: the home commune
        "welcome": ("#/welcome", "landing-map"),
        "signin": ("#/signin", "register-submit"),
        "commune": ("#/commune", "overview"),
        "commune-page": ("#/commune/97411", "commune-events"),
        "commune-desk": ("#/commune/97411/desk", "desk-search"),
        "room": (f"#/room/{room_id}", "message"),
        "event": (f"#/event/{event['id']}", "attendance"),
        "event-checkin": (f"#/event/{event['id']}/checkin", "checkin-code"),
        "proposal": (f"#/proposal/{proposal['id']}", "phase"),
        "inbox": ("#/inbox", "prefs"),
        "members": (f"#/members/{room_id}", "member"),
        "search": ("#/search/jardin", "search-hit"),
        "screen": (f"#/screen/{room_id}", "screen-questions"),
        "mine": ("#/mine", "my-event"),
        "account": ("#/account", "home-status"),
        "moderation": (f"#/moderation/{room_id}", "h-audit"),
        "moderation-commune": ("#/moderation/commune/97411", "moderation-title"),
        "organisation": (f"#/organisation/{org['id']}", "org-desk"),
        "me": ("#/me", "profile-save"),
        "person": (f"#/person/{organiser}", "person-name"),
        "tag": ("#/tag/jardin", "tag-title"),
    }
    walked = {hash_.removeprefix("#/").split("/")[0] for hash_, _ in walk.values()} - {""}
    assert walked == router_routes(), "a route of the router is not walked here (or no longer exists)"

    keys = message_keys()
    assert len(keys) > 150
    found: dict[str, dict] = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("fr", "en"):
        page.goto("/#/signin")
        page.get_by_test_id("lang-select").select_option(lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        for name, (hash_, ready) in walk.items():
            page.goto(f"/{hash_}")
            expect(page.get_by_test_id(ready).first).to_be_visible()
            expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")
            if faults := screen_faults(page, keys):
                found[f"{lang}:{name}"] = faults
            page.screenshot(path=str(ARTIFACTS / f"test_walk-phone-{lang}-{name}.png"), full_page=True)
        # English pages say nothing in the French of the shell.
        if lang == "en":
            expect(page.get_by_test_id("nav-toggle")).to_have_text("Menu")
            expect(page.locator("#skip-link")).to_have_text("Skip to content")

    # Signed out, the pages a visitor reaches from the first screen.
    visitor = screens.new_page("walk-visitor", phone=True)
    for name, (hash_, ready) in {
        "welcome": ("#/welcome", "landing-map"),
        "commune-page": ("#/commune/97411", "commune-events"),
        "room": (f"#/room/{room_id}", "signin-prompt"),
        "event": (f"#/event/{event['id']}", "attendance"),
        "proposal": (f"#/proposal/{proposal['id']}", "phase"),
    }.items():
        visitor.goto(f"/{hash_}")
        expect(visitor.get_by_test_id(ready).first).to_be_visible()
        if faults := screen_faults(visitor, keys):
            found[f"visitor:{name}"] = faults
        visitor.screenshot(path=str(ARTIFACTS / f"test_walk-visitor-{name}.png"), full_page=True)

    # The checks can fail: a raw key, a "null" and a too wide block are each reported.
    visitor.evaluate(
        "document.getElementById('main').append("
        "Object.assign(document.createElement('p'), {textContent: 'nav.commune null'}),"
        "Object.assign(document.createElement('div'), {style: 'width: 900px; height: 1px'}))"
    )
    planted = screen_faults(visitor, keys)
    assert planted["raw_keys"] == ["nav.commune"] and planted["junk"] == ["null"] and planted["overflow"] > 0

    (ARTIFACTS / "walk-faults.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
    assert not found, found
    assert not screens.console_errors, screens.console_errors
