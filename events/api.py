"""HTTP side of events (PROTOCOL.md §5): the same services as the socket's `rsvp` and `checkin`."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.html import escape
from ninja import Query, Router, Schema, Status

from accounts.api import request_user, user_required
from communes.selectors import commune_get
from events import exports, selectors, services
from events.inputs import CancelIn, CheckinVerifyIn, CodeIn, EventIn, EventPatch, InviteIn, RsvpIn
from events.models import Event, Rsvp
from realtime.errors import AppError

router = Router(tags=["events"])


class Created(Schema):
    id: int
    topic: str


def _event_url(request: HttpRequest, event: Event) -> str:
    return request.build_absolute_uri(f"/api/events/{event.id}")


def _event_page_url(request: HttpRequest, event: Event) -> str:
    """The event's page in the browser client: what a calendar entry links to."""
    return request.build_absolute_uri("/") + f"#/event/{event.id}"


def _event_out(request: HttpRequest, event: Event, user) -> dict:
    zone = exports.ZoneInfo(event.timezone)
    rsvp = selectors.rsvp_of(event=event, user=user)
    organiser = selectors.event_is_organiser(event=event, user=user)
    base = _event_url(request, event)
    data = {
        "id": event.id,
        "topic": event.topic,
        "title": event.title,
        "description": event.description,
        "type": event.type,
        "tags": event.tags,
        "starts_at": event.starts_at.astimezone(zone).isoformat(),
        "ends_at": event.ends_at.astimezone(zone).isoformat(),
        "timezone": event.timezone,
        "address": event.address,
        "commune": event.commune_id,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "organisers": sorted(event.organisers.values_list("username", flat=True)),
        "parent": event.parent_id,
        "sub_events": list(
            event.sub_events.filter(selectors.event_visible_filter(user)).distinct().values_list("id", flat=True)
        ),
        "capacity": event.capacity,
        "invite_only": event.invite_only,
        "show_participants": event.show_participants,
        "status": event.status,
        "revision": event.revision,
        "room": {"id": event.room_id, "topic": f"room:{event.room_id}"} if event.room_id else None,
        "attendance": selectors.attendance_snapshot(event.id),
        "is_organiser": organiser,
        "my_rsvp": selectors.rsvp_as_dict(rsvp),
        "ticket": None,
        "links": {"ics": f"{base}/ics", "jsonld": f"{base}/jsonld", "attendees": f"{base}/attendees"},
    }
    if rsvp is not None and rsvp.status == Rsvp.GOING:
        data["ticket"] = {"code": rsvp.code, "url": f"{base}/ticket", "qr_svg": f"{base}/ticket.svg"}
    return data


def _event_summary(event: Event) -> dict:
    zone = exports.ZoneInfo(event.timezone)
    return {
        "id": event.id,
        "topic": event.topic,
        "title": event.title,
        "type": event.type,
        "tags": event.tags,
        "starts_at": event.starts_at.astimezone(zone).isoformat(),
        "ends_at": event.ends_at.astimezone(zone).isoformat(),
        "commune": event.commune_id,
        "address": event.address,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "status": event.status,
        "capacity": event.capacity,
        "going": event.going_count,
        "seats_left": event.seats_left,
        "parent": event.parent_id,
    }


def _near(near: str | None) -> tuple[float, float] | None:
    if not near:
        return None
    try:
        lat, lon = (float(part) for part in near.split(","))
    except ValueError:
        raise AppError("bad_request", "near must be 'latitude,longitude'") from None
    return lat, lon


@router.post("", response={201: Created}, summary="Create an event; you organise it (with `organisers`)")
def event_create(request: HttpRequest, payload: EventIn):
    created = services.event_create(creator=request_user(request), event=payload, ref=payload.ref)
    return Status(201, created)


@router.get("", summary="Events you may see: by commune, date range (from/to), near=lat,lon within radius_km")
def event_list(
    request: HttpRequest,
    commune: str | None = None,
    date_from: datetime | None = Query(None, alias="from"),
    date_to: datetime | None = Query(None, alias="to"),
    near: str | None = None,
    radius_km: float | None = None,
    parent: int | None = None,
    type: str | None = None,
    limit: int = 50,
    offset: int = 0,
):
    if not 1 <= limit <= 200 or offset < 0:
        raise AppError("bad_request", "limit must be 1-200 and offset >= 0")
    events = selectors.event_list(
        user=request_user(request),
        commune=commune,
        date_from=date_from,
        date_to=date_to,
        near=_near(near),
        radius_km=radius_km,
        parent=parent,
        type=type,
    )
    return {"items": [_event_summary(e) for e in events[offset : offset + limit]], "total": len(events)}


@router.get("/communes/{insee}/ics", summary="iCalendar feed of a commune's public events (from a month ago)")
def commune_ics(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    events = selectors.event_list(user=None, commune=insee, date_from=exports.feed_window_start())
    body = exports.events_ics_feed(
        events,
        name=f"Événements — {commune.name}",
        url_for=lambda e: _event_page_url(request, e),
        host=request.get_host(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="events-{insee}.ics"'
    return response


@router.get("/mine", summary="Your upcoming events: those you answered (status, ticket code) and those you organise")
def my_events(request: HttpRequest):
    user = user_required(request)
    items = []
    for event, rsvp, organiser in selectors.events_of_user(user=user, date_from=timezone.now()):
        mine = selectors.rsvp_as_dict(rsvp)
        if mine is not None and rsvp.status == Rsvp.GOING:
            mine["code"] = rsvp.code
        items.append({**_event_summary(event), "timezone": event.timezone, "my_rsvp": mine, "is_organiser": organiser})
    return {"items": items}


@router.get("/{event_id}", summary="An event with its attendance, your RSVP and your ticket")
def event_detail(request: HttpRequest, event_id: int):
    user = request_user(request)
    event = selectors.event_get_visible(event_id=event_id, user=user)
    return _event_out(request, event, user)


@router.patch("/{event_id}", summary="Change an event (organisers); publishes `event.updated`")
def event_update(request: HttpRequest, event_id: int, payload: EventPatch):
    return services.event_update(by=request_user(request), event_id=event_id, changes=payload, ref=payload.ref)


@router.post("/{event_id}/cancel", summary="Cancel an event (organisers); publishes `event.cancelled`")
def event_cancel(request: HttpRequest, event_id: int, payload: CancelIn):
    user = request_user(request)
    return services.event_cancel(by=user, event_id=event_id, reason=payload.reason, ref=payload.ref)


@router.post("/{event_id}/rsvp", summary="Answer: going (waitlisted when full) | interested | declined")
def rsvp_set(request: HttpRequest, event_id: int, payload: RsvpIn):
    user = request_user(request)
    return services.rsvp_set(user=user, event_id=event_id, status=payload.status, ref=payload.ref)


@router.delete("/{event_id}/rsvps/{username}", summary="Remove someone's RSVP (organisers); frees their seat")
def rsvp_remove(request: HttpRequest, event_id: int, username: str, ref: str | None = None):
    user = request_user(request)
    return services.rsvp_remove(by=user, event_id=event_id, username=username, ref=ref)


@router.post("/{event_id}/invites", summary="Invite people (organisers); an invite-only event becomes visible to them")
def event_invite(request: HttpRequest, event_id: int, payload: InviteIn):
    user = request_user(request)
    return services.event_invite(by=user, event_id=event_id, usernames=payload.usernames, ref=payload.ref)


@router.post("/{event_id}/uninvite", summary="Withdraw invitations (organisers): RSVP, seat, room and live access go")
def event_uninvite(request: HttpRequest, event_id: int, payload: InviteIn):
    user = request_user(request)
    return services.event_uninvite(by=user, event_id=event_id, usernames=payload.usernames, ref=payload.ref)


def _my_ticket(request: HttpRequest, event_id: int) -> tuple[Event, Rsvp]:
    user = user_required(request)
    event = selectors.event_get_visible(event_id=event_id, user=user)
    rsvp = selectors.rsvp_of(event=event, user=user)
    if rsvp is None or rsvp.status != Rsvp.GOING:
        raise AppError("not_found", "you hold no ticket for this event (only people going do)")
    return event, rsvp


@router.get("/{event_id}/ticket", summary="Your ticket: check-in code and QR code link (holder only)")
def ticket(request: HttpRequest, event_id: int):
    event, rsvp = _my_ticket(request, event_id)
    base = _event_url(request, event)
    return {
        "event": event.id,
        "title": event.title,
        "holder": rsvp.user.username,
        "code": rsvp.code,
        "status": rsvp.status,
        "checked_in_at": rsvp.checked_in_at.isoformat() if rsvp.checked_in_at else None,
        "qr_svg": f"{base}/ticket.svg",
        "page": f"{base}/ticket.html",
    }


@router.get("/{event_id}/ticket.svg", summary="Your ticket's QR code (SVG; it encodes the check-in code)")
def ticket_svg(request: HttpRequest, event_id: int):
    _, rsvp = _my_ticket(request, event_id)
    response = HttpResponse(exports.ticket_qr_svg(rsvp.code), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/{event_id}/ticket.html", summary="Your ticket as a page to show at the door (holder only)")
def ticket_page(request: HttpRequest, event_id: int):
    event, rsvp = _my_ticket(request, event_id)
    starts = event.starts_at.astimezone(exports.ZoneInfo(event.timezone)).strftime("%d/%m/%Y %H:%M")
    page = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>Billet — {escape(event.title)}</title><link rel="stylesheet" href="/static/css/ticket.css"></head>'
        f'<body><main class="ticket"><p class="kind">Billet · Ticket</p><h1>{escape(event.title)}</h1>'
        f'<p class="when">{escape(starts)} ({escape(event.timezone)})</p>'
        f'<p class="who">{escape(rsvp.user.get_full_name() or rsvp.user.username)}</p>'
        f'<div class="qr">{exports.ticket_qr_svg(rsvp.code, standalone=False)}</div>'
        f'<p class="code">{escape(rsvp.code)}</p></main></body></html>'
    )
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/{event_id}/checkin", summary="Check a ticket in by its code (organisers); same as the socket's `checkin`"
)
def checkin(request: HttpRequest, event_id: int, payload: CheckinVerifyIn):
    user = request_user(request)
    return services.checkin(
        by=user, event_id=event_id, code=payload.code, ref=payload.ref, verify_resident=payload.verify_resident
    )


@router.post("/{event_id}/checkin/undo", summary="Undo a check-in (organisers)")
def checkin_undo(request: HttpRequest, event_id: int, payload: CodeIn):
    user = request_user(request)
    return services.checkin_undo(by=user, event_id=event_id, code=payload.code, ref=payload.ref)


def _attendees(request: HttpRequest, event_id: int, *, organisers_only: bool) -> tuple[Event, list[dict]]:
    user = request_user(request)
    event = selectors.event_get_visible(event_id=event_id, user=user)
    if organisers_only or not event.show_participants:
        if user is None:
            raise AppError("auth_required", "sign in as an organiser of this event")
        if not selectors.event_is_organiser(event=event, user=user):
            raise AppError("forbidden", "only the organisers see the attendee list of this event")
    return event, selectors.event_attendees(event=event)


@router.get("/{event_id}/attendees", summary="Attendee list: organisers, or anyone if the event shows participants")
def attendees(request: HttpRequest, event_id: int):
    event, rows = _attendees(request, event_id, organisers_only=False)
    if not selectors.event_is_organiser(event=event, user=request_user(request)):
        # The public list shows who comes, not the door log.
        rows = [{**row, "checked_in_at": None} for row in rows if row["status"] in (Rsvp.GOING, Rsvp.INTERESTED)]
    return {"items": rows, "attendance": selectors.attendance_snapshot(event.id)}


@router.get("/{event_id}/attendees.csv", summary="Attendee list as CSV (organisers)")
def attendees_csv(request: HttpRequest, event_id: int):
    event, rows = _attendees(request, event_id, organisers_only=True)
    response = HttpResponse(exports.attendees_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.id}-attendees.csv"'
    return response


@router.get("/{event_id}/ics", summary="The event as iCalendar (text/calendar)")
def event_ics(request: HttpRequest, event_id: int):
    event = selectors.event_get_visible(event_id=event_id, user=request_user(request))
    body = exports.event_ics(event, url=_event_page_url(request, event), host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="event-{event.id}.ics"'
    return response


@router.get("/{event_id}/jsonld", summary="The event as a schema.org Event (JSON-LD)")
def event_jsonld(request: HttpRequest, event_id: int):
    event = selectors.event_get_visible(event_id=event_id, user=request_user(request))
    data = exports.event_jsonld(
        event,
        url=_event_url(request, event),
        url_for=lambda e: _event_url(request, e),
        attendance=selectors.attendance_snapshot(event.id),
    )
    return JsonResponse(data, content_type="application/ld+json", json_dumps_params={"ensure_ascii": False})
