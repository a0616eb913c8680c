"""Reads on events: visibility, roles, discovery, attendance, attendee lists."""

from __future__ import annotations

import math
from datetime import datetime

from django.db.models import Q, QuerySet

from events.models import Event, Rsvp
from realtime.auth import signed_in
from realtime.errors import AppError

EARTH_RADIUS_KM = 6371.0088
RADIUS_MAX_KM = 500.0


def event_is_organiser(*, event: Event, user) -> bool:
    return signed_in(user) and event.organisers.filter(id=user.id).exists()


def event_visible_filter(user) -> Q:
    """Public events, plus invite-only ones the user organises or is invited to."""
    if not signed_in(user):
        return Q(invite_only=False)
    return Q(invite_only=False) | Q(organisers=user) | Q(rsvps__user=user)


def event_get_visible(*, event_id: int, user, for_update: bool = False) -> Event:
    """The event if `user` may see it. An invite-only event is `not_found` to outsiders, like a missing one."""
    # No join when locking: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    rows = Event.objects.select_for_update() if for_update else Event.objects.select_related("commune")
    event = rows.filter(id=event_id).first()
    if event is None or (event.invite_only and not _invited_or_organiser(event=event, user=user)):
        raise AppError("not_found", f"event {event_id} does not exist")
    return event


def _invited_or_organiser(*, event: Event, user) -> bool:
    if not signed_in(user):
        return False
    return event_is_organiser(event=event, user=user) or Rsvp.objects.filter(event=event, user=user).exists()


def event_get_for_organiser(*, event_id: int, user, for_update: bool = False) -> Event:
    """The event if `user` organises it: `not_found` if they cannot see it, else `forbidden`."""
    if not signed_in(user):
        raise AppError("auth_required", "sign in first")
    event = event_get_visible(event_id=event_id, user=user, for_update=for_update)
    if not event_is_organiser(event=event, user=user):
        raise AppError("forbidden", "only the organisers of this event may do this")
    return event


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def event_list(
    *,
    user,
    commune: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
    parent: int | None = None,
    type: str | None = None,
) -> list[Event]:
    """Visible events overlapping [date_from, date_to], of a commune, within `radius_km` of `near`.

    The radius is prefiltered with a bounding box in SQL (any database) and refined with the
    great-circle distance in Python; results are in start order.
    """
    events: QuerySet[Event] = Event.objects.filter(event_visible_filter(user)).distinct()
    if commune:
        events = events.filter(commune_id=commune)
    if date_from is not None:
        events = events.filter(ends_at__gte=date_from)
    if date_to is not None:
        events = events.filter(starts_at__lte=date_to)
    if parent is not None:
        events = events.filter(parent_id=parent)
    if type:
        events = events.filter(type=type)
    if near is not None:
        lat, lon = near
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise AppError("bad_request", "near must be 'latitude,longitude' in degrees")
        radius = radius_km if radius_km is not None else 10.0
        if not 0 < radius <= RADIUS_MAX_KM:
            raise AppError("bad_request", f"radius_km must be in (0, {RADIUS_MAX_KM:g}]")
        dlat = math.degrees(radius / EARTH_RADIUS_KM)
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        events = events.filter(
            latitude__gte=lat - dlat, latitude__lte=lat + dlat, longitude__gte=lon - dlon, longitude__lte=lon + dlon
        )
        found = [
            e for e in events.select_related("commune") if haversine_km(lat, lon, e.latitude, e.longitude) <= radius
        ]
        return sorted(found, key=lambda e: (e.starts_at, e.id))
    return list(events.select_related("commune").order_by("starts_at", "id"))


def rsvp_of(*, event: Event, user) -> Rsvp | None:
    if not signed_in(user):
        return None
    return Rsvp.objects.filter(event=event, user=user).first()


def waitlist_rank(rsvp: Rsvp) -> int | None:
    """1-based place in the waitlist (first come, first served), or None if not waitlisted."""
    if rsvp.status != Rsvp.WAITLISTED:
        return None
    ahead = Rsvp.objects.filter(event_id=rsvp.event_id, status=Rsvp.WAITLISTED).filter(
        Q(arrival__lt=rsvp.arrival) | Q(arrival=rsvp.arrival, id__lt=rsvp.id)
    )
    return ahead.count() + 1


def rsvp_as_dict(rsvp: Rsvp | None) -> dict | None:
    if rsvp is None:
        return None
    return {
        "id": rsvp.id,
        "status": rsvp.status,
        "waitlist_position": waitlist_rank(rsvp),
        "checked_in_at": rsvp.checked_in_at.isoformat() if rsvp.checked_in_at else None,
    }


def attendance_snapshot(event_id: int) -> dict | None:
    """The `attendance` state, read from the event row alone (counters and version change together)."""
    row = (
        Event.objects.filter(id=event_id)
        .values(
            "going_count",
            "waitlisted_count",
            "interested_count",
            "checked_in_count",
            "capacity",
            "state_version",
            "status",
        )
        .first()
    )
    if row is None:
        return None
    capacity = row["capacity"]
    return {
        "going": row["going_count"],
        "waitlisted": row["waitlisted_count"],
        "interested": row["interested_count"],
        "checked_in": row["checked_in_count"],
        "capacity": capacity,
        "seats_left": None if capacity is None else max(0, capacity - row["going_count"]),
        "status": row["status"],
        "version": row["state_version"],
    }


def event_visible_ids(user) -> QuerySet:
    """The ids of the events `user` may see, as a subquery."""
    return Event.objects.filter(event_visible_filter(user)).values("id")


def event_checked_in(*, event_id: int, user) -> bool:
    """Whether `user` was checked in at the door of the event."""
    return Rsvp.objects.filter(event_id=event_id, user=user, checked_in_at__isnull=False).exists()


def event_checked_in_count(event_id: int) -> int:
    return Rsvp.objects.filter(event_id=event_id, checked_in_at__isnull=False).count()


def event_checked_in_ids(event_id: int) -> list[int]:
    return list(Rsvp.objects.filter(event_id=event_id, checked_in_at__isnull=False).values_list("user_id", flat=True))


def event_attendees(*, event: Event) -> list[dict]:
    """Everyone with an RSVP other than `declined`, going first, then the waitlist in order."""
    order = {Rsvp.GOING: 0, Rsvp.WAITLISTED: 1, Rsvp.INTERESTED: 2, Rsvp.INVITED: 3}
    rows = Rsvp.objects.filter(event=event).exclude(status=Rsvp.DECLINED).select_related("user")
    result = []
    waiting = 0
    for rsvp in sorted(rows, key=lambda r: (order[r.status], r.arrival or 0, r.id)):
        if rsvp.status == Rsvp.WAITLISTED:
            waiting += 1
        result.append(
            {
                "username": rsvp.user.username,
                "name": rsvp.user.get_full_name() or rsvp.user.username,
                "status": rsvp.status,
                "waitlist_position": waiting if rsvp.status == Rsvp.WAITLISTED else None,
                "checked_in_at": rsvp.checked_in_at.isoformat() if rsvp.checked_in_at else None,
                "responded_at": rsvp.updated_at.isoformat(),
            }
        )
    return result


def event_of_room(room_id: int) -> Event | None:
    """The event whose discussion room this is, if any (debate mode reads its organisers)."""
    return Event.objects.filter(room_id=room_id).first()


def events_of_user(*, user, date_from: datetime) -> list[tuple[Event, Rsvp | None, bool]]:
    """Events ending after `date_from` that `user` answered (not declined) or organises, in start
    order, each with the user's RSVP (or None) and whether they organise it."""
    rsvps = {
        r.event_id: r
        for r in Rsvp.objects.filter(user=user, event__ends_at__gte=date_from).exclude(status=Rsvp.DECLINED)
    }
    organised = set(Event.objects.filter(organisers=user, ends_at__gte=date_from).values_list("id", flat=True))
    events = Event.objects.filter(id__in=set(rsvps) | organised).order_by("starts_at", "id")
    return [(event, rsvps.get(event.id), event.id in organised) for event in events]
