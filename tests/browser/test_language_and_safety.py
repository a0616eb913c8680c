"""French by default, English on request (persisted), and user content never becomes markup."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique
from tests.browser.test_room import create_room, post_from_ui

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def test_language_switch_and_message_shown_as_text(screens, daphne_server):
    page = screens.signed_up("page", unique("chloe"))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    room_id = create_room(daphne_server, screens.token_of(page), "Salon <b>gras</b>")

    page.goto(f"/#/room/{room_id}")
    csp = httpx.get(f"{daphne_server.url}/").headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp
    # French by default.
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("send")).to_have_text("Envoyer")
    expect(page.get_by_test_id("nav-commune")).to_have_text("Ma commune")
    expect(page.get_by_test_id("conn-status")).to_have_text("En ligne")
    # A room name with markup is text too.
    expect(page.get_by_test_id("room-name")).to_have_text("Salon <b>gras</b>")

    post_from_ui(page, XSS)
    body = page.get_by_test_id("message").last.get_by_test_id("message-body")
    expect(body).to_have_text(XSS)
    expect(page.get_by_test_id("messages").locator("img")).to_have_count(0)

    # English, kept across a reload.
    page.get_by_test_id("lang-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("send")).to_have_text("Send")
    expect(page.get_by_test_id("nav-commune")).to_have_text("My commune")
    expect(page.get_by_test_id("conn-status")).to_have_text("Online")
    expect(page.get_by_label("Your message")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("send")).to_have_text("Send")
    expect(page.get_by_test_id("lang-select")).to_have_value("en")
    # The history reloaded after the switch still shows the body as text, once.
    expect(page.get_by_test_id("message-body")).to_have_text([XSS])

    # And back to French.
    page.get_by_test_id("lang-select").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("send")).to_have_text("Envoyer")
    expect(page.get_by_label("Votre message")).to_be_visible()
    expect(page.get_by_test_id("message-body")).to_have_text([XSS])
    assert page.evaluate("() => localStorage.getItem('cl.lang')") == "fr"
    assert dialogs == [], dialogs
    assert not screens.console_errors, screens.console_errors
