"""HTTP API of events: create, discover, RSVP, tickets, check-in, attendees, iCalendar, JSON-LD."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from events.models import Event, Rsvp

pytestmark = pytest.mark.django_db

REUNION = ZoneInfo("Indian/Reunion")


def client_for(user=None) -> Client:
    if user is None:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {user.token}")


def _future(days: int = 7, hour: int = 18) -> datetime:
    day = (timezone.now() + timedelta(days=days)).astimezone(REUNION)
    return day.replace(hour=hour, minute=30, second=0, microsecond=0)


def _create(client: Client, **fields) -> dict:
    start = fields.pop("starts_at", _future())
    body = {
        "title": "Conseil de quartier",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        **fields,
    }
    response = client.post("/api/events", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_then_detail_with_attendance(make_user, communes):
    marie = make_user("marie")
    created = _create(
        client_for(marie),
        capacity=2,
        commune="97411",
        place={"address": "Rue de Paris", "latitude": -20.88, "longitude": 55.45},
    )
    assert created["topic"] == f"event:{created['id']}"
    detail = client_for(marie).get(f"/api/events/{created['id']}").json()
    assert detail["attendance"]["capacity"] == 2 and detail["attendance"]["seats_left"] == 2
    assert (detail["address"], detail["commune"], detail["latitude"]) == ("Rue de Paris", "97411", -20.88)
    assert detail["is_organiser"] is True and detail["organisers"] == ["marie"]
    assert detail["room"]["topic"].startswith("room:")
    assert detail["starts_at"].endswith("+04:00")


@pytest.mark.parametrize(
    "fields, status",
    [({"capacity": -5}, 400), ({"type": "rave"}, 400), ({"commune": "00000"}, 404)],
)
def test_create_with_bad_input_writes_nothing(make_user, fields, status):
    start = _future()
    body = {"title": "x", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(), **fields}
    response = client_for(make_user()).post("/api/events", body, content_type="application/json")
    assert response.status_code == status
    assert set(response.json()) >= {"code", "message"}
    assert not Event.objects.exists()


def test_create_with_end_before_start_is_refused(make_user):
    start = _future()
    body = {"title": "x", "starts_at": start.isoformat(), "ends_at": (start - timedelta(hours=1)).isoformat()}
    response = client_for(make_user()).post("/api/events", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert "ends_at" in response.json()["message"]
    anonymous = Client().post("/api/events", body, content_type="application/json")
    assert anonymous.status_code == 401
    assert not Event.objects.exists()


def test_rsvp_waitlist_and_ticket(make_user):
    organiser, alice, bob = make_user(), make_user("alice"), make_user("bob")
    event_id = _create(client_for(organiser), capacity=1)["id"]
    first = client_for(alice).post(
        f"/api/events/{event_id}/rsvp", {"status": "going", "ref": "1"}, content_type="application/json"
    )
    second = client_for(bob).post(
        f"/api/events/{event_id}/rsvp", {"status": "going", "ref": "1"}, content_type="application/json"
    )
    assert first.json()["status"] == "going" and second.json()["status"] == "waitlisted"
    bob_view = client_for(bob).get(f"/api/events/{event_id}").json()
    assert bob_view["my_rsvp"]["status"] == "waitlisted" and bob_view["my_rsvp"]["waitlist_position"] == 1
    assert bob_view["ticket"] is None
    assert client_for(bob).get(f"/api/events/{event_id}/ticket").status_code == 404

    alice_view = client_for(alice).get(f"/api/events/{event_id}").json()
    code = Rsvp.objects.get(user=alice).code
    assert alice_view["ticket"]["code"] == code
    ticket = client_for(alice).get(f"/api/events/{event_id}/ticket").json()
    assert ticket["code"] == code and ticket["holder"] == "alice"
    svg = client_for(alice).get(f"/api/events/{event_id}/ticket.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.lstrip().startswith(b"<?xml") and b"<svg" in svg.content
    assert Client().get(f"/api/events/{event_id}/ticket.svg").status_code == 401

    bad = client_for(bob).post(
        f"/api/events/{event_id}/rsvp", {"status": "sure", "ref": "2"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"


def test_checkin_over_http_and_its_permissions(make_user):
    organiser, guest, stranger = make_user(), make_user("guest"), make_user()
    event_id = _create(client_for(organiser), capacity=3)["id"]
    other_id = _create(client_for(stranger))["id"]
    client_for(guest).post(f"/api/events/{event_id}/rsvp", {"status": "going"}, content_type="application/json")
    client_for(guest).post(f"/api/events/{other_id}/rsvp", {"status": "going"}, content_type="application/json")
    code = Rsvp.objects.get(user=guest, event_id=event_id).code
    foreign = Rsvp.objects.get(user=guest, event_id=other_id).code
    door = client_for(organiser)

    assert (
        client_for(guest)
        .post(f"/api/events/{event_id}/checkin", {"code": code}, content_type="application/json")
        .status_code
        == 403
    )
    response = door.post(f"/api/events/{event_id}/checkin", {"code": foreign}, content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = door.post(f"/api/events/{event_id}/checkin", {"code": code}, content_type="application/json")
    assert response.status_code == 200 and response.json()["user"] == "guest"
    response = door.post(f"/api/events/{event_id}/checkin", {"code": code}, content_type="application/json")
    assert response.status_code == 409 and "already checked in" in response.json()["message"]
    response = door.post(f"/api/events/{event_id}/checkin/undo", {"code": code}, content_type="application/json")
    assert response.status_code == 200 and response.json()["checked_in"] is False
    assert door.get(f"/api/events/{event_id}").json()["attendance"]["checked_in"] == 0


def test_update_and_cancel_are_for_organisers(make_user):
    organiser, stranger = make_user(), make_user()
    event_id = _create(client_for(organiser), capacity=3)["id"]
    refused = client_for(stranger).patch(f"/api/events/{event_id}", {"title": "Pris"}, content_type="application/json")
    assert refused.status_code == 403
    assert (
        client_for(stranger).post(f"/api/events/{event_id}/cancel", {}, content_type="application/json").status_code
        == 403
    )
    negative = client_for(organiser).patch(f"/api/events/{event_id}", {"capacity": -1}, content_type="application/json")
    assert negative.status_code == 400
    changed = client_for(organiser).patch(
        f"/api/events/{event_id}", {"title": "Renommé", "capacity": None}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["changed"] == ["capacity", "title"]
    cancelled = client_for(organiser).post(
        f"/api/events/{event_id}/cancel", {"reason": "Cyclone"}, content_type="application/json"
    )
    assert cancelled.json()["status"] == "cancelled"
    event = Event.objects.get(id=event_id)
    assert (event.title, event.capacity, event.status) == ("Renommé", None, "cancelled")


def test_attendees_list_and_csv(make_user):
    organiser, guest, stranger = make_user(), make_user("=cmd"), make_user()
    event_id = _create(client_for(organiser), capacity=3)["id"]
    client_for(guest).post(f"/api/events/{event_id}/rsvp", {"status": "going"}, content_type="application/json")

    assert client_for(stranger).get(f"/api/events/{event_id}/attendees").status_code == 403
    assert Client().get(f"/api/events/{event_id}/attendees").status_code == 401
    assert client_for(stranger).get(f"/api/events/{event_id}/attendees.csv").status_code == 403
    rows = client_for(organiser).get(f"/api/events/{event_id}/attendees").json()["items"]
    assert [(r["username"], r["status"]) for r in rows] == [("=cmd", "going")]

    response = client_for(organiser).get(f"/api/events/{event_id}/attendees.csv")
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    # A username that looks like a formula is neutralised for spreadsheets.
    assert [(r["username"], r["status"]) for r in table] == [("'=cmd", "going")]

    client_for(organiser).patch(f"/api/events/{event_id}", {"show_participants": True}, content_type="application/json")
    public = client_for(stranger).get(f"/api/events/{event_id}/attendees")
    assert public.status_code == 200 and [r["username"] for r in public.json()["items"]] == ["=cmd"]
    assert client_for(stranger).get(f"/api/events/{event_id}/attendees.csv").status_code == 403


def test_invite_only_events_are_invisible_to_outsiders(make_user):
    organiser, invitee, outsider = make_user(), make_user("invitee"), make_user()
    event_id = _create(client_for(organiser), invite_only=True)["id"]
    for client in (client_for(outsider), Client()):
        for path in ("", "/ics", "/jsonld", "/attendees"):
            assert client.get(f"/api/events/{event_id}{path}").status_code == 404
        assert event_id not in [e["id"] for e in client.get("/api/events").json()["items"]]
    invited = client_for(organiser).post(
        f"/api/events/{event_id}/invites", {"usernames": ["invitee"]}, content_type="application/json"
    )
    assert invited.json() == {"invited": ["invitee"]}
    view = client_for(invitee).get(f"/api/events/{event_id}").json()
    assert view["my_rsvp"]["status"] == "invited"
    assert event_id in [e["id"] for e in client_for(invitee).get("/api/events").json()["items"]]


def test_discovery_by_commune_dates_and_distance(make_user, communes):
    client = client_for(make_user())
    saint_denis = _create(
        client, title="Saint-Denis", commune="97411", latitude=-20.8789, longitude=55.4481, starts_at=_future(3)
    )
    saint_pierre = _create(
        client, title="Saint-Pierre", commune="97416", latitude=-21.3393, longitude=55.4781, starts_at=_future(20)
    )

    def ids(query: str) -> list[int]:
        response = Client().get(f"/api/events?{query}")
        assert response.status_code == 200, response.content
        return [e["id"] for e in response.json()["items"]]

    assert ids("commune=97411") == [saint_denis["id"]]
    assert ids("") == [saint_denis["id"], saint_pierre["id"]]
    window_end = (timezone.now() + timedelta(days=10)).isoformat().replace("+", "%2B")
    assert ids(f"to={window_end}") == [saint_denis["id"]]
    window_start = (timezone.now() + timedelta(days=10)).isoformat().replace("+", "%2B")
    assert ids(f"from={window_start}") == [saint_pierre["id"]]
    # Saint-Denis to Saint-Pierre is about 51 km as the crow flies.
    assert ids("near=-20.88,55.45&radius_km=10") == [saint_denis["id"]]
    assert ids("near=-20.88,55.45&radius_km=60") == [saint_denis["id"], saint_pierre["id"]]
    assert Client().get("/api/events?near=north&radius_km=5").status_code == 400
    assert Client().get("/api/events?near=-20.88,55.45&radius_km=-1").status_code == 400


def test_ics_parses_back_with_the_right_times_and_zone(make_user, communes):
    start = _future(5, hour=19)
    event_id = _create(
        client_for(make_user()), title="Concert au Barachois", type="concert", commune="97411", starts_at=start
    )["id"]
    response = Client().get(f"/api/events/{event_id}/ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    [vevent] = calendar.walk("VEVENT")
    dtstart, dtend = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert dtstart == start and dtend == start + timedelta(hours=2)
    assert str(vevent["DTSTART"].params["TZID"]) == "Indian/Reunion"
    assert dtstart.utcoffset() == timedelta(hours=4)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Indian/Reunion"]
    assert str(vevent["SUMMARY"]) == "Concert au Barachois"
    assert str(vevent["UID"]).startswith(f"event-{event_id}@")
    assert str(vevent["STATUS"]) == "CONFIRMED"


def test_commune_feed_lists_public_events_of_the_commune(make_user, communes):
    client = client_for(make_user())
    public = _create(client, title="Public", commune="97416")
    _create(client, title="Privé", commune="97416", invite_only=True)
    _create(client, title="Ailleurs", commune="97411")
    response = Client().get("/api/events/communes/97416/ics")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Public"]
    assert str(calendar.walk("VEVENT")[0]["UID"]).startswith(f"event-{public['id']}@")
    assert Client().get("/api/events/communes/99999/ics").status_code == 404


def test_cancelled_event_ics_says_so(make_user):
    organiser = make_user()
    event_id = _create(client_for(organiser))["id"]
    client_for(organiser).post(f"/api/events/{event_id}/cancel", {}, content_type="application/json")
    [vevent] = icalendar.Calendar.from_ical(Client().get(f"/api/events/{event_id}/ics").content).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED" and int(vevent["SEQUENCE"]) == 1


def test_jsonld_is_a_schema_org_event(make_user, communes):
    client = client_for(make_user())
    start = _future()
    parent = _create(client, title="Festival", commune="97416", capacity=100, starts_at=start)
    child = _create(client, title="Atelier", commune="97416", parent=parent["id"], starts_at=start)
    response = Client().get(f"/api/events/{parent['id']}/jsonld")
    assert response["Content-Type"] == "application/ld+json"
    data = response.json()
    assert (data["@context"], data["@type"], data["name"]) == ("https://schema.org", "Event", "Festival")
    assert data["startDate"] == start.isoformat()
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["location"]["address"]["addressLocality"] == "Saint-Pierre"
    assert data["maximumAttendeeCapacity"] == 100 and data["remainingAttendeeCapacity"] == 100
    assert data["subEvent"][0]["@id"].endswith(f"/api/events/{child['id']}")


def test_ticket_page_shows_the_code_and_qr_to_its_holder_only(make_user):
    organiser, holder = make_user(), make_user("holder")
    event_id = _create(client_for(organiser), title="Fèt la Musique <live>")["id"]
    client_for(holder).post(f"/api/events/{event_id}/rsvp", {"status": "going"}, content_type="application/json")
    code = Rsvp.objects.get(user=holder).code
    page = client_for(holder).get(f"/api/events/{event_id}/ticket.html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert code in html and "<svg" in html and "<?xml" not in html
    assert "Fèt la Musique &lt;live&gt;" in html
    assert client_for(organiser).get(f"/api/events/{event_id}/ticket.html").status_code == 404
