"""What the browser client relies on: CSV names and times, calendar links, event rooms' listing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import icalendar
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {user.token}") if user else Client()


def _create(client: Client, **fields) -> int:
    start = timezone.now() + timedelta(days=3)
    body = {
        "title": "Atelier compost",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    response = client.post("/api/events", {**body, **fields}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_csv_names_people_and_keeps_the_answer_time_apart_from_the_check_in(make_user):
    organiser, guest = make_user(), make_user()
    get_user_model().objects.filter(pk=guest.pk).update(first_name="Ana", last_name="Payet")
    event_id = _create(client_for(organiser), capacity=5)
    client_for(guest).post(f"/api/events/{event_id}/rsvp", {"status": "going"}, content_type="application/json")
    code = client_for(guest).get(f"/api/events/{event_id}").json()["ticket"]["code"]

    def row() -> dict:
        response = client_for(organiser).get(f"/api/events/{event_id}/attendees.csv")
        [only] = list(csv.DictReader(io.StringIO(response.content.decode())))
        return only

    answered = row()
    assert answered["name"] == "Ana Payet" and answered["username"] == guest.username
    assert answered["checked_in_at"] == ""
    checkin = client_for(organiser).post(
        f"/api/events/{event_id}/checkin", {"code": code}, content_type="application/json"
    )
    assert checkin.status_code == 200, checkin.content
    checked = row()
    assert checked["checked_in_at"] != "" and checked["responded_at"] == answered["responded_at"]
    client_for(organiser).post(f"/api/events/{event_id}/checkin/undo", {"code": code}, content_type="application/json")
    assert row()["responded_at"] == answered["responded_at"]


def test_calendar_entries_link_to_the_event_page(make_user, communes):
    event_id = _create(client_for(make_user()), commune="97411")
    [vevent] = icalendar.Calendar.from_ical(Client().get(f"/api/events/{event_id}/ics").content).walk("VEVENT")
    assert str(vevent["URL"]) == f"http://testserver/#/event/{event_id}"
    feed = icalendar.Calendar.from_ical(Client().get("/api/events/communes/97411/ics").content)
    assert [str(v["URL"]) for v in feed.walk("VEVENT")] == [f"http://testserver/#/event/{event_id}"]


def test_event_rooms_are_linked_from_the_event_not_listed_under_the_commune(make_user, communes):
    organiser = make_user()
    event_id = _create(client_for(organiser), commune="97411")
    room = client_for(organiser).get(f"/api/events/{event_id}").json()["room"]
    assert room and client_for(organiser).get(f"/api/rooms/{room['id']}").status_code == 200
    made = client_for(organiser).post(
        "/api/rooms", {"name": "Quartier", "visibility": "public", "commune": "97411"}, content_type="application/json"
    )
    listed = [r["id"] for r in client_for(organiser).get("/api/rooms?commune=97411").json()["items"]]
    assert made.json()["id"] in listed and room["id"] not in listed


def test_my_events_lists_answers_with_tickets_and_what_i_organise(make_user):
    organiser, me, other = make_user(), make_user(), make_user()
    going = _create(client_for(organiser), title="Going", capacity=5)
    declined = _create(client_for(organiser), title="Declined")
    invited = _create(client_for(organiser), title="Invited", invite_only=True)
    _create(client_for(me), title="Mine")
    _create(client_for(other), title="Elsewhere")
    client_for(me).post(f"/api/events/{going}/rsvp", {"status": "going"}, content_type="application/json")
    client_for(me).post(f"/api/events/{declined}/rsvp", {"status": "declined"}, content_type="application/json")
    client_for(organiser).post(
        f"/api/events/{invited}/invites", {"usernames": [me.username]}, content_type="application/json"
    )

    assert Client().get("/api/events/mine").status_code == 401
    items = {e["title"]: e for e in client_for(me).get("/api/events/mine").json()["items"]}
    assert set(items) == {"Going", "Invited", "Mine"}
    assert items["Going"]["my_rsvp"]["status"] == "going" and len(items["Going"]["my_rsvp"]["code"]) >= 6
    assert items["Invited"]["my_rsvp"] == {**items["Invited"]["my_rsvp"], "status": "invited"}
    assert "code" not in items["Invited"]["my_rsvp"]
    assert items["Mine"]["is_organiser"] and items["Mine"]["my_rsvp"] is None
    assert not items["Going"]["is_organiser"]
