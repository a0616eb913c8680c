"""Room settings in a real browser: the owner turns a public room private from the room page and
a reader who is not a member loses it live, told so; only the owner sees the settings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique
from tests.browser.test_room import create_room

pytestmark = pytest.mark.browser


def test_the_owner_turns_the_room_private_and_a_reader_loses_it_live(screens, daphne_server):
    owner = screens.signed_up("owner", unique("proprio"), phone=True)
    room_id = create_room(daphne_server, screens.token_of(owner), unique("Salon "))
    reader = screens.signed_up("reader", unique("lectrice"))
    reader.goto(f"/#/room/{room_id}")
    expect(reader.get_by_test_id("room-name")).to_be_visible()
    expect(reader.get_by_test_id("room-settings")).to_have_count(0)  # not the owner

    owner.goto(f"/#/room/{room_id}")
    owner.get_by_test_id("room-settings-open").click()
    expect(owner.get_by_test_id("room-visibility-public")).to_be_checked()
    owner.get_by_test_id("room-visibility-private").check()
    owner.get_by_test_id("room-settings-save").focus()
    owner.keyboard.press("Enter")
    expect(owner.get_by_test_id("room-settings-status")).to_contain_text("Le salon est maintenant privé")
    assert owner.evaluate("() => document.documentElement.scrollWidth") <= 390

    expect(reader.get_by_test_id("room-revoked")).to_contain_text("Vous n’avez plus accès à ce salon")
    with daphne_server.api(screens.token_of(reader)) as client:
        assert client.get(f"/rooms/{room_id}").status_code == 404
    with daphne_server.api(screens.token_of(owner)) as client:
        assert client.get(f"/rooms/{room_id}").json()["visibility"] == "private"
    owner.get_by_test_id("lang-select").select_option("en")
    owner.get_by_test_id("room-settings-open").click()
    expect(owner.get_by_test_id("room-settings")).to_contain_text("Private: only its members read it")
    assert screens.console_errors == []


def test_readers_who_lose_a_room_live_keep_nothing_of_it_on_screen(screens, daphne_server):
    """A reader banned (in English) and a reader shut out when the room turns private (in French,
    on a phone), both on the room's page with its debate: messages, presence, the debate and the
    composer leave the screen at once; only the room's name and why stay (before: they stayed
    beside the banner until a reload). A removed member's page already leaves the room."""
    owner = screens.signed_up("owner", unique("proprio"))
    banned_name = unique("sam")
    fr = screens.signed_up("reader-fr-phone", unique("lea"), phone=True)
    en = screens.signed_up("banned-en", banned_name)
    token = screens.token_of(owner)
    with daphne_server.api(token) as client:
        room_id = client.post("/rooms", json={"name": unique("Bureau "), "visibility": "public"}).json()["id"]
        assert client.patch(f"/debates/{room_id}", json={"turn_limit": 90}).status_code == 200
        assert client.post(f"/rooms/{room_id}/messages", json={"body": "Ordre du jour du bureau"}).status_code == 201
    en.get_by_test_id("lang-select").select_option("en")
    for page in (fr, en):
        page.goto(f"/#/room/{room_id}")
        expect(page.get_by_test_id("scroller")).to_contain_text("Ordre du jour du bureau")
        expect(page.get_by_test_id("presence-list")).to_be_attached()
        expect(page.get_by_test_id("debate")).to_be_attached()

    with daphne_server.api(token) as client:
        banned = client.post(
            f"/moderation/rooms/{room_id}/sanctions", json={"user": banned_name, "kind": "ban", "reason": "test"}
        )
        assert banned.status_code == 200, banned.text
    expect(en.get_by_test_id("room-revoked")).to_contain_text("You no longer have access to this room")
    expect(fr.get_by_test_id("scroller")).to_be_visible()  # the others keep the room
    with daphne_server.api(token) as client:
        assert client.patch(f"/rooms/{room_id}", json={"visibility": "private"}).status_code == 200
    expect(fr.get_by_test_id("room-revoked")).to_contain_text("Vous n’avez plus accès à ce salon")
    for page in (fr, en):
        for gone in ("scroller", "presence-list", "debate", "composer", "tab-debate"):
            expect(page.get_by_test_id(gone)).to_have_count(0)
        assert "Ordre du jour du bureau" not in page.locator("main").inner_text()
        expect(page.get_by_test_id("room-name")).to_be_visible()
        expect(page.get_by_test_id("room-revoked")).to_have_attribute("role", "alert")  # read out at once
    assert fr.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert screens.console_errors == []
