"""Organisers and participants of an event, each doing their whole job in the browser."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_event import create_event

pytestmark = pytest.mark.browser


def going_with_code(server, event_id: int, username: str) -> tuple[str, str]:
    """A participant registered over the API, going, with the code of their ticket."""
    token = server.register(username)
    with server.api(token) as client:
        assert client.post(f"/events/{event_id}/rsvp", json={"status": "going"}).status_code == 200
        return token, client.get(f"/events/{event_id}").json()["ticket"]["code"]


def attendees(server, token: str, event_id: int) -> dict[str, dict]:
    with server.api(token) as client:
        return {row["username"]: row for row in client.get(f"/events/{event_id}/attendees").json()["items"]}


def test_organiser_full_tour(screens, daphne_server, tmp_path):
    organiser_name, guest_name = unique("orga"), unique("invitee")
    guest_token = daphne_server.register(guest_name)
    page = screens.signed_up("organiser", organiser_name)
    page.goto("/#/commune/97411")
    # The form's own summary: the commune's news may also list a "Nouvel événement" another test made.
    page.get_by_test_id("new-event").get_by_text("Nouvel événement").click()
    day = (datetime.now() + timedelta(days=10)).strftime("%Y-%m-%d")
    page.get_by_test_id("new-event-title").fill("Atelier vélo")
    page.get_by_test_id("new-event-description").fill("Réparer son vélo ensemble.\nApportez vos outils.")
    page.get_by_test_id("new-event-starts").fill(f"{day}T14:00")
    page.get_by_test_id("new-event-ends").fill(f"{day}T17:00")
    page.get_by_test_id("new-event-capacity").fill("12")
    page.get_by_test_id("new-event-place").fill("Maison de quartier")
    # The place picked on the map (its coordinates could be typed too).
    page.get_by_test_id("new-event-latitude").fill("-20.8912")
    page.get_by_test_id("new-event-longitude").fill("55.4567")
    page.get_by_test_id("new-event-submit").click()
    expect(page.get_by_test_id("event-title")).to_have_text("Atelier vélo")
    expect(page.get_by_test_id("event-description")).to_have_text("Réparer son vélo ensemble.\nApportez vos outils.")
    expect(page.get_by_test_id("event-capacity")).to_have_text("12")
    expect(page.get_by_test_id("event-when")).to_contain_text("14:00")
    event_id = int(page.url.rsplit("/", 1)[1])
    with daphne_server.api(screens.token_of(page)) as client:
        created = client.get(f"/events/{event_id}").json()
        room_id = created["room"]["id"]
        assert (created["latitude"], created["longitude"]) == (-20.8912, 55.4567)
    expect(page.get_by_test_id("event-room-link")).to_have_attribute("href", f"#/room/{room_id}")

    # Invite someone.
    page.get_by_test_id("invite").locator("summary").click()
    page.get_by_test_id("invite-usernames").fill(guest_name)
    page.get_by_test_id("invite-submit").click()
    expect(page.get_by_test_id("invite-status")).to_contain_text(guest_name)
    with daphne_server.api(guest_token) as client:
        assert client.get(f"/events/{event_id}").json()["my_rsvp"]["status"] == "invited"

    # Edit: a new title and capacity, shown at once.
    page.get_by_test_id("edit-event").locator("summary").click()
    page.get_by_test_id("edit-event-title").fill("Atelier vélo et trottinette")
    page.get_by_test_id("edit-event-capacity").fill("20")
    page.get_by_test_id("edit-event-submit").click()
    expect(page.get_by_test_id("event-title")).to_have_text("Atelier vélo et trottinette")
    expect(page.get_by_test_id("event-capacity")).to_have_text("20")

    # Check in a participant at the desk, undo, check in again.
    participant = unique("velo")
    _, code = going_with_code(daphne_server, event_id, participant)
    page.get_by_test_id("checkin-link").click()
    page.get_by_test_id("checkin-code").fill(code)
    page.get_by_test_id("checkin-code").press("Enter")
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "1")
    expect(page.get_by_test_id("checkin-count")).to_have_text("1 enregistré·e")
    page.get_by_test_id("checkin-undo").click()
    expect(page.get_by_test_id("checkin-result")).to_contain_text(f"Enregistrement de {code} annulé")
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "0")
    page.get_by_test_id("checkin-code").fill(code)
    page.get_by_test_id("checkin-submit").click()
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "1")
    expect(page.get_by_test_id("attendee").filter(has_text=participant)).to_have_attribute("data-status", "checked_in")

    # The attendee list as CSV, from the link on the event page.
    page.get_by_role("link", name="Atelier vélo et trottinette").click()
    with page.expect_download() as download_info:
        page.get_by_test_id("csv-link").click()
    path = tmp_path / "attendees.csv"
    download_info.value.save_as(path)
    rows = {row["username"]: row for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}
    assert rows[participant]["status"] == "going" and rows[participant]["checked_in_at"]
    assert rows[participant]["responded_at"] and rows[participant]["responded_at"] != rows[participant]["checked_in_at"]
    assert rows[guest_name]["status"] == "invited"
    assert not screens.console_errors, screens.console_errors


def test_participant_sees_their_check_in_live(screens, daphne_server):
    organiser_token = daphne_server.register(unique("orga"))
    event_title = "Nettoyage de la plage de Boucan"  # create_event's default
    event = create_event(daphne_server, organiser_token, capacity=5)
    page = screens.signed_up("participant-phone", unique("paula"), phone=True)
    page.goto(f"/#/event/{event['id']}")
    page.get_by_test_id("rsvp-going").click()
    expect(page.get_by_test_id("my-status")).to_have_attribute("data-status", "going")
    code = page.get_by_test_id("ticket-code").get_attribute("data-code")
    with daphne_server.api(organiser_token) as client:
        assert client.post(f"/events/{event['id']}/checkin", json={"code": code}).status_code == 200
    # No reload: the page learns it from the live attendance.
    expect(page.get_by_test_id("my-status")).to_have_attribute("data-status", "checked_in")
    expect(page.get_by_test_id("my-status")).to_contain_text("enregistré·e")
    page.screenshot(path=str(screens_dir() / "test_participant_checked_in_live-event-phone.png"), full_page=True)
    # "My events and tickets" lists it with the new status and the ticket's code.
    page.get_by_test_id("nav-toggle").click()  # a phone: the links are behind the menu button
    page.get_by_test_id("nav-mine").click()
    mine = page.get_by_test_id("my-event").filter(has_text=event_title)
    expect(mine).to_have_attribute("data-status", "checked_in")
    expect(mine.get_by_test_id("my-ticket-code")).to_contain_text(code)
    # The printable ticket page, styled.
    ticket = page.context.new_page()
    ticket.goto(f"/api/events/{event['id']}/ticket.html")
    expect(ticket.locator(".code")).to_have_text(code)
    assert ticket.evaluate("getComputedStyle(document.querySelector('.ticket')).borderTopStyle") == "dashed"
    ticket.screenshot(path=str(screens_dir() / "test_participant_ticket_page-phone.png"), full_page=True)
    assert not screens.console_errors, screens.console_errors


def test_checkin_desk_refuses_non_organisers_without_showing_the_form(screens, daphne_server):
    event = create_event(daphne_server, daphne_server.register(unique("orga")))
    page = screens.signed_up("stranger", unique("curieux"))
    page.goto(f"/#/event/{event['id']}/checkin")
    expect(page.get_by_test_id("checkin-refused")).to_have_text(
        "Seuls les organisateurs de cet événement peuvent enregistrer les entrées."
    )
    expect(page.get_by_test_id("checkin-code")).to_have_count(0)
    expect(page.get_by_test_id("checkin-link")).to_have_count(0)
    assert not screens.console_errors, screens.console_errors


def test_checkin_desk_offline_applies_each_code_once_after_reconnecting(screens, daphne_server):
    organiser_name = unique("orga")
    page = screens.signed_up("desk", organiser_name, phone=True)
    organiser_token = screens.token_of(page)
    event = create_event(daphne_server, organiser_token, capacity=10)
    people = {unique("arrive"): None for _ in range(3)}
    for name in people:
        people[name] = going_with_code(daphne_server, event["id"], name)[1]
    page.goto(f"/#/event/{event['id']}/checkin")
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "0")

    page.context.set_offline(True)
    expect(page.get_by_test_id("conn-status")).not_to_have_attribute("data-state", "online")
    for code in people.values():
        page.get_by_test_id("checkin-code").fill(code)
        page.get_by_test_id("checkin-code").press("Enter")
    expect(page.get_by_test_id("checkin-pending-item")).to_have_count(3)
    expect(page.get_by_test_id("checkin-pending-count")).to_have_text("3 codes en attente d'envoi (hors ligne)")
    assert len(page.evaluate(f"JSON.parse(localStorage.getItem('cl.checkin.{event['id']}'))")) == 3
    page.screenshot(path=str(screens_dir() / "test_checkin_desk_offline-pending.png"), full_page=True)

    page.context.set_offline(False)
    expect(page.get_by_test_id("checkin-pending-item")).to_have_count(0)
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "3")
    rows = attendees(daphne_server, organiser_token, event["id"])
    assert all(rows[name]["checked_in_at"] for name in people)
    # Applied once: no code answered "already checked in", and a reload sends nothing again.
    expect(page.get_by_test_id("checkin-result")).not_to_have_class("form-error")
    page.reload()
    expect(page.get_by_test_id("checkin-count")).to_have_attribute("data-value", "3")
    assert page.evaluate(f"localStorage.getItem('cl.checkin.{event['id']}')") is None
    with daphne_server.api(organiser_token) as client:
        assert client.get(f"/events/{event['id']}").json()["attendance"]["checked_in"] == 3
    screens.console_errors[:] = [e for e in screens.console_errors if "ERR_INTERNET_DISCONNECTED" not in e]
    assert not screens.console_errors, screens.console_errors


def screens_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
