"""Event representations for other programs: iCalendar (RFC 5545), CSV, schema.org JSON-LD, ticket QR codes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import segno
from django.utils import timezone

from events.models import Event

PRODID = "-//Communecter Live//Events//FR"
SCHEMA_STATUS = {
    Event.SCHEDULED: "https://schema.org/EventScheduled",
    Event.CANCELLED: "https://schema.org/EventCancelled",
}
CSV_COLUMNS = ["username", "name", "status", "waitlist_position", "checked_in_at", "responded_at"]


def _local(event: Event, moment):
    return moment.astimezone(ZoneInfo(event.timezone))


def _location(event: Event) -> str:
    commune = event.commune.name if event.commune else ""
    if commune and commune.lower() in event.address.lower():
        commune = ""
    return ", ".join(p for p in (event.address, commune) if p)


def _vevent(event: Event, *, url: str, host: str) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", f"event-{event.id}@{host}")
    vevent.add("dtstamp", timezone.now())
    # In the event's own zone (TZID + VTIMEZONE), so calendars show the local time even across DST rules.
    vevent.add("dtstart", _local(event, event.starts_at))
    vevent.add("dtend", _local(event, event.ends_at))
    vevent.add("summary", event.title)
    if event.description:
        vevent.add("description", event.description)
    if _location(event):
        vevent.add("location", _location(event))
    if event.latitude is not None and event.longitude is not None:
        vevent.add("geo", (event.latitude, event.longitude))
    vevent.add("status", "CANCELLED" if event.status == Event.CANCELLED else "CONFIRMED")
    vevent.add("sequence", event.revision)
    vevent.add("last-modified", event.updated_at)
    vevent.add("categories", [event.type])
    vevent.add("url", url)
    return vevent


def _calendar(name: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        # A calendar name is one content line: a newline in a title would end it (and could start
        # another property); summaries are TEXT values, which icalendar escapes itself.
        calendar.add("x-wr-calname", " ".join(name.split()))
    return calendar


def event_ics(event: Event, *, url: str, host: str) -> bytes:
    calendar = _calendar(event.title)
    calendar.add_component(_vevent(event, url=url, host=host))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def events_ics_feed(events: Iterable[Event], *, name: str, url_for, host: str) -> bytes:
    calendar = _calendar(name)
    for event in events:
        calendar.add_component(_vevent(event, url=url_for(event), host=host))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_window_start():
    """Feeds carry recent events too, so a subscribed calendar keeps last month's entries."""
    return timezone.now() - timedelta(days=31)


# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character is quoted away."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS:
        text = "'" + text
    return text


class SafeCsvWriter:
    """csv.writer whose every cell goes through `csv_cell` (the proposals' export uses it too)."""

    def __init__(self, out) -> None:
        self.writer = csv.writer(out)

    def writerow(self, row: list) -> None:
        self.writer.writerow([csv_cell(cell) for cell in row])


def attendees_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def event_jsonld(event: Event, *, url: str, url_for, attendance: dict | None) -> dict:
    """A schema.org `Event` (https://schema.org/Event) for open-data consumers."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": url,
        "url": url,
        "name": event.title,
        "description": event.description,
        "startDate": _local(event, event.starts_at).isoformat(),
        "endDate": _local(event, event.ends_at).isoformat(),
        "eventStatus": SCHEMA_STATUS[event.status],
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "isAccessibleForFree": True,
        "keywords": event.type,
        "organizer": [{"@type": "Person", "name": u.get_full_name() or u.username} for u in event.organisers.all()],
    }
    place: dict = {"@type": "Place", "name": _location(event) or event.title}
    address: dict = {"@type": "PostalAddress", "addressCountry": "FR"}
    if event.address:
        address["streetAddress"] = event.address
    if event.commune is not None:
        address["addressLocality"] = event.commune.name
        if event.commune.postal_codes:
            address["postalCode"] = event.commune.postal_codes[0]
        if event.commune.department == "974":
            address["addressRegion"] = "La Réunion"
    place["address"] = address
    if event.latitude is not None and event.longitude is not None:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": event.latitude, "longitude": event.longitude}
    data["location"] = place
    if event.capacity is not None:
        data["maximumAttendeeCapacity"] = event.capacity
        if attendance is not None:
            data["remainingAttendeeCapacity"] = attendance["seats_left"]
    if event.parent_id is not None and not event.parent.invite_only:
        data["superEvent"] = {"@type": "Event", "@id": url_for(event.parent), "name": event.parent.title}
    subs = [e for e in event.sub_events.all() if not e.invite_only]
    if subs:
        data["subEvent"] = [{"@type": "Event", "@id": url_for(e), "name": e.title} for e in subs]
    return data


def ticket_qr_svg(code: str, *, standalone: bool = True) -> str:
    """The ticket's QR code as SVG (a document, or an element to embed in HTML); it encodes the bare
    code the door staff check in."""
    out = io.BytesIO()
    # A full QR code, never Micro QR (which segno picks for short data): phone scanners and
    # the browser's BarcodeDetector read only the former. Without a fixed size it scales.
    segno.make_qr(code, error="m").save(
        out, kind="svg", scale=8, border=2, title=f"Ticket {code}", xmldecl=standalone, svgns=True, omitsize=True
    )
    return out.getvalue().decode()
