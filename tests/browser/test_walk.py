"""Every route of the client's hash router, walked on a phone in French and in English: no console
error, no raw message key nor "null" on screen, nothing wider than the phone, and no serious or
critical axe violation. The list of routes is read from the router, so a new route must be walked."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import ARTIFACTS, PASSWORD, REPO_ROOT, unique
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
        assert client.post(f"/rooms/{room_id}/messages", json={"body": "Et demain ?", "ref": "w2"}).status_code in (
            200,
            201,
        )
    make_referent(daphne_server, organiser, "97411")
    # The first message three days old, as staff could set it: the room then has two days to separate.
    daphne_server.run_python(
        "from datetime import timedelta; from discussions.models import Message; "
        f"m = Message.objects.filter(room_id={room_id}).order_by('id').first(); "
        "m.created_at -= timedelta(days=3); m.save(update_fields=['created_at'])"
    )
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

    # The room's messages of two days under two dated separators (English: the last language walked).
    page.goto(f"/#/room/{room_id}")
    separators = page.get_by_test_id("day-separator")
    expect(separators).to_have_count(2)
    assert re.search(r"\b20\d\d\b", separators.first.inner_text()), separators.first.inner_text()
    # Its owner's settings, folded, leave the composer and its button in view on the phone.
    expect(page.get_by_test_id("room-settings-open")).to_be_visible()
    for testid in ("composer", "send"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box and box["y"] + box["height"] <= 844, (testid, box)

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


FOCUSED = """(selector) => {
  const el = document.activeElement;
  if (!el || !el.matches(selector)) return null;
  const style = getComputedStyle(el);
  const summary = el.closest("summary");
  return { visible: style.outlineStyle !== "none" || style.boxShadow !== "none" || Boolean(summary) };
}"""


def tab_to(page, selector: str, limit: int = 40) -> int:
    """Tab until the element matching `selector` has the focus; how many presses it took. The
    focused control must show it (an outline or a ring)."""
    for presses in range(limit + 1):
        state = page.evaluate(FOCUSED, selector)
        if state is not None:
            assert state["visible"], f"{selector} has the focus but shows no focus style"
            return presses
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached in {limit} Tab presses")


def test_the_main_paths_by_keyboard_only(screens, daphne_server):
    """Sign in, create an event, RSVP, check the ticket in at the desk, create a proposal, vote
    and post in the event's room, with the keyboard only, in English."""
    username = unique("clavier")
    daphne_server.register(username)
    page = screens.new_page("keyboard")
    page.add_init_script("localStorage.setItem('cl.lang', 'en')")
    presses: dict[str, int] = {}

    page.goto("/#/signin")
    presses["sign in"] = tab_to(page, "[data-testid=signin-username]")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("me")).to_contain_text(username)
    expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")

    # A new event, from the commune page; the date fields are typed segment by segment.
    page.goto("/#/commune/97411")
    expect(page.get_by_test_id("commune-events")).to_be_visible()
    presses["create event"] = tab_to(page, "[data-testid=new-event] > summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("Atelier vélo au clavier")
    page.keyboard.press("Tab")
    page.keyboard.type("Réparer son vélo soi-même.")
    # Headless Chromium lays its date fields out as en-US whatever the page's language: month, day,
    # year (up to six digits: the arrow moves on), then hour, minute and AM/PM.
    tab_to(page, "[data-testid=new-event-starts]")
    page.keyboard.type("01152027")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("0930A")
    tab_to(page, "[data-testid=new-event-ends]")
    page.keyboard.type("01152027")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("1200P")
    tab_to(page, "[data-testid=new-event-capacity]")
    page.keyboard.type("5")
    tab_to(page, "[data-testid=new-event-submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("event-when")).to_contain_text("15 January 2027")
    expect(page.get_by_test_id("event-capacity")).to_have_text("5")
    event_url = page.url

    # RSVP, then the ticket's code is checked in at the organiser's desk.
    presses["rsvp"] = tab_to(page, "[data-testid=rsvp-going]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("rsvp-going")).to_have_attribute("aria-pressed", "true")
    code = page.get_by_test_id("ticket-code").get_attribute("data-code")
    assert code and code in page.get_by_test_id("ticket-code").inner_text(), code
    page.goto(event_url)
    presses["check-in desk"] = tab_to(page, "[data-testid=checkin-link]", limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("checkin-code")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "1")

    # A proposal, then a vote on it.
    page.goto("/#/commune/97411")
    expect(page.get_by_test_id("commune-proposals")).to_be_visible()
    presses["create proposal"] = tab_to(page, "[data-testid=new-proposal] > summary")
    page.keyboard.press("Enter")
    # The default ballot's four answers, as the ballot shows them.
    expect(page.get_by_test_id("new-proposal-kind-hint")).to_contain_text("For, against, blank or incomplete")
    page.keyboard.press("Tab")
    page.keyboard.type("Un atelier vélo chaque mois ?")
    page.keyboard.press("Tab")
    page.keyboard.type("Le premier samedi du mois.")
    tab_to(page, "[data-testid=new-proposal-submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("proposal-title")).to_have_text("Un atelier vélo chaque mois ?")
    presses["vote"] = tab_to(page, "[data-testid=vote-up]")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("vote-up")).to_have_attribute("aria-pressed", "true")

    # The event's own room: from the skip link to the composer.
    page.goto(event_url)
    tab_to(page, "[data-testid=event-room-link]", limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("composer")).to_be_visible()
    # The link followed is gone with its page: the focus starts again at the new page's content.
    expect(page.locator("#main")).to_be_focused()
    presses["post in a room"] = tab_to(page, "[data-testid=composer]", limit=5)
    page.keyboard.type("Posté au clavier")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message").last.get_by_test_id("message-body")).to_have_text("Posté au clavier")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "keyboard-presses.json").write_text(json.dumps(presses, indent=1))
    assert not screens.console_errors, screens.console_errors


def test_a_1280x720_room_keeps_send_in_view_in_both_languages(screens, daphne_server):
    """The French header wraps its links to a second line at this width: the message pane gives
    that height back, so "Envoyer" is not pushed below the window."""
    page = screens.signed_up("desktop-room", unique("bureau"))
    room_id = create_room(daphne_server, screens.token_of(page), "Salon du bureau")
    page.set_viewport_size({"width": 1280, "height": 720})
    heights = {}
    for lang in ("fr", "en"):
        page.get_by_test_id("lang-select").select_option(lang)
        page.goto(f"/#/room/{room_id}")
        expect(page.get_by_test_id("send")).to_be_visible()
        heights[lang] = page.locator(".topbar").bounding_box()["height"]
        for testid in ("composer", "send"):
            box = page.get_by_test_id(testid).bounding_box()
            assert box and box["y"] + box["height"] <= 720, (lang, testid, box, heights)
        assert page.get_by_test_id("scroller").bounding_box()["height"] >= 380, lang  # still a pane to read
        page.screenshot(path=str(ARTIFACTS / f"test_walk-desktop-room-{lang}.png"))
    assert heights["fr"] > heights["en"]  # the case this is about: the French header's second line
    assert not screens.console_errors, screens.console_errors
