"""Rooms in a real browser: two people live, reconnection without loss or duplicates, XSS, language."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique

pytestmark = pytest.mark.browser


def create_room(server, token: str, name: str) -> int:
    with server.api(token) as client:
        response = client.post("/rooms", json={"name": name, "visibility": "public"})
        assert response.status_code == 201, response.text
        return response.json()["id"]


def post_from_ui(page, body: str) -> None:
    page.get_by_test_id("composer").fill(body)
    page.get_by_test_id("composer").press("Enter")


def test_two_users_post_and_reply_live(screens, daphne_server):
    a_name, b_name = unique("alice"), unique("bruno")
    a = screens.signed_up("a", a_name)
    b = screens.signed_up("b", b_name, phone=True)
    room_id = create_room(daphne_server, screens.token_of(a), "Conseil de quartier")

    a.goto(f"/#/room/{room_id}")
    b.goto(f"/#/room/{room_id}")
    expect(a.get_by_test_id("room-name")).to_have_text("Conseil de quartier")
    expect(b.get_by_test_id("presence-list").get_by_text(a_name)).to_be_visible()

    post_from_ui(a, "Bonjour, qui vient jeudi ?")
    b_messages = b.get_by_test_id("message")
    expect(b_messages).to_have_count(1)
    expect(b_messages.last.get_by_test_id("message-author")).to_have_text(a_name)
    expect(b_messages.last.get_by_test_id("message-body")).to_have_text("Bonjour, qui vient jeudi ?")
    expect(b_messages.last).not_to_contain_text("null")
    # Screen-reader users hear about it too.
    expect(b.get_by_test_id("announcer")).to_contain_text("Bonjour, qui vient jeudi ?")

    b_messages.last.get_by_test_id("reply").click()
    expect(b.get_by_test_id("reply-banner")).to_contain_text(a_name)
    post_from_ui(b, "Moi ! J'apporte le café.")

    a_messages = a.get_by_test_id("message")
    expect(a_messages).to_have_count(2)
    reply = a_messages.nth(1)
    expect(reply.get_by_test_id("message-author")).to_have_text(b_name)
    expect(reply.get_by_test_id("message-body")).to_have_text("Moi ! J'apporte le café.")
    expect(reply.get_by_test_id("message-reply-ref")).to_contain_text("Bonjour, qui vient jeudi ?")
    # The composer is cleared and the pending copy gone once the server acknowledged.
    expect(b.get_by_test_id("pending-message")).to_have_count(0)
    assert not screens.console_errors, screens.console_errors


def test_offline_reader_gets_missed_messages_once_in_order(screens, daphne_server):
    a_name, b_name = unique("anne"), unique("bob")
    a = screens.signed_up("reader", a_name)
    b = screens.signed_up("writer", b_name)
    room_id = create_room(daphne_server, screens.token_of(b), "Salon reconnexion")
    a.goto(f"/#/room/{room_id}")
    b.goto(f"/#/room/{room_id}")
    post_from_ui(b, "avant la coupure")
    expect(a.get_by_test_id("message")).to_have_count(1)
    status = a.get_by_test_id("conn-status")
    expect(status).to_have_attribute("data-state", "online")
    reconnects_before = int(status.get_attribute("data-reconnects"))

    a.context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")
    for n in (1, 2, 3):
        post_from_ui(b, f"manqué {n}")
    expect(b.get_by_test_id("message")).to_have_count(4)
    # Nothing reaches the offline reader.
    expect(a.get_by_test_id("message")).to_have_count(1)
    # A write made while offline waits, then goes out once (same ref) after the reconnection.
    post_from_ui(a, "écrit hors ligne")
    expect(a.get_by_test_id("pending-message")).to_have_count(1)

    a.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "online")
    expect(status).to_have_attribute("data-reconnects", str(reconnects_before + 1))
    expected = [
        "avant la coupure",
        "manqué 1",
        "manqué 2",
        "manqué 3",
        "écrit hors ligne",
    ]
    expect(a.get_by_test_id("message-body")).to_have_text(expected)
    expect(b.get_by_test_id("message-body")).to_have_text(expected)
    expect(a.get_by_test_id("pending-message")).to_have_count(0)
    # And still live after the reconnection, with no duplicate creeping in, on both sides.
    post_from_ui(b, "après")
    expect(a.get_by_test_id("message-body")).to_have_text([*expected, "après"])
    expect(b.get_by_test_id("message-body")).to_have_text([*expected, "après"])
    seqs = a.get_by_test_id("message").evaluate_all("els => els.map(e => Number(e.dataset.seq))")
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs


def post_over_http(server, token: str, room_id: int, body: str) -> None:
    with server.api(token) as client:
        for _ in range(20):
            response = client.post(f"/rooms/{room_id}/messages", json={"body": body})
            if response.status_code != 429:
                break
            # The server's rate limit says how long to wait; honour it.
            time.sleep(float(response.json().get("retry_after", 0.5)))
        assert response.status_code == 201, response.text


def test_history_scrollback_edit_delete_and_typing(screens, daphne_server):
    a_name, b_name = unique("agathe"), unique("bernard")
    a = screens.signed_up("a", a_name)
    b = screens.signed_up("b", b_name)
    token_a = screens.token_of(a)
    room_id = create_room(daphne_server, token_a, "Salon historique")
    for n in range(1, 56):
        post_over_http(daphne_server, token_a, room_id, f"ancien {n}")

    b.goto(f"/#/room/{room_id}")
    messages = b.get_by_test_id("message")
    # The latest page first, then older ones when scrolling up.
    expect(messages).to_have_count(50)
    expect(messages.first.get_by_test_id("message-body")).to_have_text("ancien 6")
    expect(messages.last.get_by_test_id("message-body")).to_have_text("ancien 55")
    b.get_by_test_id("scroller").evaluate("el => { el.scrollTop = 0; }")
    expect(messages).to_have_count(55)
    expect(messages.first.get_by_test_id("message-body")).to_have_text("ancien 1")
    expect(b.get_by_test_id("history-start")).to_be_visible()

    a.goto(f"/#/room/{room_id}")
    expect(a.get_by_test_id("message")).to_have_count(50)
    # Typing shows on the other side.
    a.get_by_test_id("composer").press_sequentially("je tape", delay=20)
    expect(b.get_by_test_id("typing")).to_contain_text(a_name)
    a.get_by_test_id("composer").fill("")

    # Edit the last message: the other tab follows live.
    last_a = a.get_by_test_id("message").last
    last_a.get_by_test_id("edit").click()
    a.get_by_test_id("edit-body").fill("ancien 55, corrigé")
    a.get_by_test_id("edit-save").click()
    expect(messages.last.get_by_test_id("message-body")).to_have_text("ancien 55, corrigé")
    expect(messages.last.get_by_test_id("message-edited")).to_be_visible()

    # Delete it (confirm dialog accepted): the other tab shows it deleted.
    a.once("dialog", lambda d: d.accept())
    a.get_by_test_id("message").last.get_by_test_id("delete").click()
    expect(messages.last.get_by_test_id("message-body")).to_have_text("Message supprimé")
    # B cannot edit A's messages.
    expect(messages.first.get_by_test_id("edit")).to_have_count(0)
    assert not screens.console_errors, screens.console_errors
