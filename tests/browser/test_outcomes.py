"""Outcomes and actions in a real browser: once the vote closed, the author states the outcome
and adds actions; another person volunteers and moves the status by keyboard on a phone; the
proposal, room and commune pages follow live, in French and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique

pytestmark = pytest.mark.browser


def decided_proposal(server, token: str, commune: str = "97411") -> dict:
    with server.api(token) as client:
        room = client.post("/rooms", json={"name": unique("Jardin "), "visibility": "public", "commune": commune})
        assert room.status_code == 201, room.text
        made = client.post(
            "/proposals",
            json={"room": room.json()["id"], "title": "Un jardin partagé", "body": "Derrière la mairie."},
        )
        assert made.status_code == 201, made.text
        proposal = made.json()
        assert client.post(f"/proposals/{proposal['id']}/vote", json={"choice": "up"}).status_code == 200
        assert client.post(f"/proposals/{proposal['id']}/close").status_code == 200
    return {**proposal, "room": room.json()["id"]}


def test_outcome_and_actions_live_on_proposal_room_and_commune(screens, daphne_server):
    author = screens.signed_up("author", unique("marie"))
    jean_name = unique("jean")
    jean = screens.signed_up("jean-phone", jean_name, phone=True)
    lucie = unique("lucie")
    daphne_server.register(lucie)
    proposal = decided_proposal(daphne_server, screens.token_of(author))
    for page in (author, jean):
        page.goto(f"/#/proposal/{proposal['id']}")
        expect(page.get_by_test_id("outcome-panel")).to_be_visible()
    expect(author.get_by_test_id("outcome-statement")).to_have_text("Pas encore de décision rédigée.")
    expect(jean.get_by_test_id("outcome-form")).to_have_count(0)  # only steerers write it
    expect(jean.get_by_test_id("action-form")).to_have_count(0)

    author.get_by_test_id("outcome-input").fill("Adopté : le jardin ouvre au printemps.")
    author.get_by_test_id("outcome-submit").click()
    expect(jean.get_by_test_id("outcome-statement")).to_have_text("Adopté : le jardin ouvre au printemps.")

    # A name nobody has is refused with a clear message; nothing is added.
    author.get_by_test_id("action-title-input").fill("Acheter les semences")
    author.get_by_test_id("action-assignees-input").fill("personne-de-ce-nom")
    author.get_by_test_id("action-submit").click()
    expect(author.get_by_test_id("action-error")).to_contain_text("personne-de-ce-nom")
    expect(author.get_by_test_id("action")).to_have_count(0)
    author.get_by_test_id("action-assignees-input").fill(lucie)
    author.get_by_test_id("action-due-input").fill("2027-03-15")
    author.get_by_test_id("action-submit").click()
    # The form empties once the first is saved: the second is typed after that, not into it.
    expect(author.get_by_test_id("action")).to_have_count(1)
    author.get_by_test_id("action-title-input").fill("Défricher la friche")
    author.get_by_test_id("action-assignees-input").fill("")
    author.get_by_test_id("action-due-input").fill("")
    author.get_by_test_id("action-submit").click()
    expect(jean.get_by_test_id("action")).to_have_count(2)
    first = jean.locator('[data-testid="action"]', has_text="Acheter les semences")
    expect(first.get_by_test_id("action-assignees")).to_contain_text(lucie)
    expect(first.get_by_test_id("action-assignees")).to_contain_text("2027")

    # Jean, on a phone and by keyboard only, takes the second action on and starts it.
    second = jean.locator('[data-testid="action"]', has_text="Défricher la friche")
    second.get_by_test_id("action-volunteer").focus()
    jean.keyboard.press("Enter")
    on_author = author.locator('[data-testid="action"]', has_text="Défricher la friche")
    expect(on_author.get_by_test_id("action-assignees")).to_contain_text(jean_name)
    status = second.get_by_test_id("action-status-select")
    status.focus()
    status.select_option("doing")
    expect(on_author).to_have_attribute("data-status", "doing")
    expect(on_author.get_by_test_id("action-status")).to_have_text("En cours")

    # The room lists the decision's actions and follows them live.
    jean.goto(f"/#/room/{proposal['room']}")
    in_room = jean.locator('[data-testid="action"]', has_text="Défricher la friche")
    expect(in_room).to_have_attribute("data-status", "doing")
    on_author.get_by_test_id("action-status-select").select_option("done")
    expect(in_room).to_have_attribute("data-status", "done")
    expect(in_room.get_by_test_id("action-status")).to_have_text("Fait")

    # The commune page, in English, anonymous.
    english = screens.new_page("commune-en", phone=True)
    english.add_init_script("localStorage.setItem('cl.lang', 'en')")
    english.goto("/#/commune/97411")
    on_commune = english.locator('[data-testid="action"]', has_text="Défricher la friche")
    expect(on_commune.get_by_test_id("action-status")).to_have_text("Done")
    expect(on_commune.get_by_test_id("action-assignees")).to_contain_text(f"Taken on by {jean_name}")
    expect(english.get_by_test_id("action-volunteer")).to_have_count(0)  # signed out: read only
    on_author.get_by_test_id("action-status-select").select_option("todo")
    expect(on_commune.get_by_test_id("action-status")).to_have_text("To do")
    assert not screens.console_errors, screens.console_errors
