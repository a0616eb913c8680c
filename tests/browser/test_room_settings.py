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
