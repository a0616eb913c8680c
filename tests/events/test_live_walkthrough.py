"""The issue's "done when", end to end on a real daphne: a new user runs an event from creation to the door."""

from __future__ import annotations

import csv
import io

import icalendar
import pytest

from tests.live import LiveSocket

pytestmark = pytest.mark.e2e


def _attendance(topic: str, **expected):
    def match(frame: dict) -> bool:
        return (
            frame["type"] == "state"
            and frame["topic"] == topic
            and all(frame["data"].get(key) == value for key, value in expected.items())
        )

    return match


async def test_new_user_creates_shares_watches_checks_in_and_exports(live_stack):
    stack = live_stack(processes=1)
    with stack.http() as anonymous:
        organiser_token = anonymous.post(
            "/api/auth/register", json={"username": "organisatrice", "password": "kaz-974-letchi"}
        ).json()["token"]
        guest_token = anonymous.post(
            "/api/auth/register", json={"username": "invite", "password": "kaz-974-mangue"}
        ).json()["token"]
    organiser, guest = stack.http(token=organiser_token), stack.http(token=guest_token)
    created = organiser.post(
        "/api/events",
        json={
            "title": "Fèt kartié",
            "starts_at": "2031-06-21T18:00:00",
            "ends_at": "2031-06-21T23:00:00",
            "capacity": 2,
            "place": "Jardin de l'État, Saint-Denis",
        },
    )
    assert created.status_code == 201, created.text
    event_id, topic = created.json()["id"], created.json()["topic"]

    watcher = await LiveSocket.open(stack.ws_url())  # someone the link was shared with, not signed in
    guest_socket = await LiveSocket.open(stack.ws_url(), guest_token)
    door = await LiveSocket.open(stack.ws_url(), organiser_token)
    try:
        assert (await watcher.subscribe(topic))["type"] == "subscribed"
        await watcher.wait_for(_attendance(topic, going=0, seats_left=2))

        reply = await guest_socket.request({"type": "rsvp", "topic": topic, "status": "going"})
        assert reply["type"] == "ok" and reply["data"]["status"] == "going"
        await watcher.wait_for(_attendance(topic, going=1, seats_left=1))

        ticket = guest.get(f"/api/events/{event_id}/ticket").json()
        assert guest.get(f"/api/events/{event_id}/ticket.svg").headers["content-type"] == "image/svg+xml"
        reply = await door.request({"type": "checkin", "topic": topic, "code": ticket["code"]})
        assert reply["type"] == "ok" and reply["data"]["user"] == "invite"
        await watcher.wait_for(_attendance(topic, going=1, checked_in=1))

        calendar = icalendar.Calendar.from_ical(guest.get(f"/api/events/{event_id}/ics").content)
        [vevent] = calendar.walk("VEVENT")
        assert vevent.decoded("DTSTART").isoformat() == "2031-06-21T18:00:00+04:00"
        table = list(csv.DictReader(io.StringIO(organiser.get(f"/api/events/{event_id}/attendees.csv").text)))
        assert [(row["username"], row["status"], bool(row["checked_in_at"])) for row in table] == [
            ("invite", "going", True)
        ]
        assert guest.get(f"/api/events/{event_id}/attendees.csv").status_code == 403
    finally:
        for socket in (watcher, guest_socket, door):
            await socket.close()
        organiser.close()
        guest.close()
