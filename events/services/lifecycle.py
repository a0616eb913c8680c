"""Create, update and cancel events; organisers and invitations. Organisers only, one transaction each."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from communes.models import Commune
from communes.selectors import commune_get
from discussions.models import Membership, Room
from discussions.services import room_create
from events.models import EVENT_TYPES, Event, Rsvp
from events.selectors import event_get_for_organiser, event_get_visible
from events.services.attendance import attendance_changed, waitlist_promote
from events.services.notices import attendees_notify, event_notice
from notifications.services import notify
from realtime.errors import AppError
from realtime.idempotency import write_once
from realtime.sequencing import topic_event_append

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
CAPACITY_MAX = 1_000_000
UPDATABLE = (
    "title",
    "description",
    "type",
    "starts_at",
    "ends_at",
    "timezone",
    "address",
    "commune",
    "latitude",
    "longitude",
    "capacity",
    "invite_only",
    "show_participants",
    "parent",
    "organisers",
)


def _signed_in_required(user) -> None:
    if user is None or not user.is_authenticated:
        raise AppError("auth_required", "sign in to write")


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise AppError("bad_request", "timezone must be an IANA zone name like 'Indian/Reunion'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AppError("bad_request", f"unknown timezone {name[:64]!r}") from None


def _moment(value: object, zone: ZoneInfo, field: str) -> datetime:
    """An aware datetime; a naive one is read in the event's own time zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise AppError("bad_request", f"{field} must be an ISO 8601 date-time") from None
    if not isinstance(value, datetime):
        raise AppError("bad_request", f"{field} must be an ISO 8601 date-time")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone)
    return value


def _users_by_name(usernames: object) -> list:
    if not isinstance(usernames, (list, tuple)) or not all(isinstance(u, str) for u in usernames):
        raise AppError("bad_request", "a list of usernames is expected")
    wanted = list(dict.fromkeys(usernames))
    users = list(get_user_model().objects.filter(username__in=wanted))
    missing = set(wanted) - {u.username for u in users}
    if missing:
        raise AppError("not_found", f"no user named {sorted(missing)[0]!r}")
    return users


def _validated(fields: dict, *, by) -> dict:
    """Check and normalise the writable fields of an event (the merged result, for an update)."""
    clean = dict(fields)
    title = fields["title"]
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= TITLE_MAX:
        raise AppError("bad_request", f"title must be 1-{TITLE_MAX} characters")
    clean["title"] = title.strip()
    if not isinstance(fields["description"], str) or len(fields["description"]) > DESCRIPTION_MAX:
        raise AppError("bad_request", f"description is limited to {DESCRIPTION_MAX} characters")
    if fields["type"] not in EVENT_TYPES:
        raise AppError("bad_request", f"type must be one of {', '.join(EVENT_TYPES)}")
    zone = _zone(fields["timezone"])
    clean["starts_at"] = _moment(fields["starts_at"], zone, "starts_at")
    clean["ends_at"] = _moment(fields["ends_at"], zone, "ends_at")
    if clean["ends_at"] <= clean["starts_at"]:
        raise AppError("bad_request", "ends_at must be after starts_at")
    capacity = fields["capacity"]
    if capacity is not None and (
        not isinstance(capacity, int) or isinstance(capacity, bool) or not 0 <= capacity <= CAPACITY_MAX
    ):
        raise AppError(
            "bad_request", f"capacity must be a whole number from 0 to {CAPACITY_MAX}, or null for unlimited"
        )
    if not isinstance(fields["address"], str) or len(fields["address"]) > 300:
        raise AppError("bad_request", "address is limited to 300 characters")
    commune = fields["commune"]
    if isinstance(commune, str):
        commune = commune_get(insee=commune)
    clean["commune"] = commune
    latitude, longitude = fields["latitude"], fields["longitude"]
    if (latitude is None) != (longitude is None):
        raise AppError("bad_request", "give both latitude and longitude, or neither")
    if latitude is not None:
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (latitude, longitude)):
            raise AppError("bad_request", "latitude and longitude are numbers")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise AppError("bad_request", "latitude must be in [-90, 90] and longitude in [-180, 180]")
    elif commune is not None:
        # Without a precise place the event sits at its commune's centre, so "near me" finds it.
        clean["latitude"], clean["longitude"] = commune.latitude, commune.longitude
    for flag in ("invite_only", "show_participants"):
        if not isinstance(fields[flag], bool):
            raise AppError("bad_request", f"{flag} must be true or false")
    parent = fields["parent"]
    if isinstance(parent, int) and not isinstance(parent, bool):
        parent = event_get_visible(event_id=parent, user=by)
        if not parent.organisers.filter(id=by.id).exists():
            raise AppError("forbidden", "only organisers of the parent event may attach sub-events to it")
    elif parent is not None and not isinstance(parent, Event):
        raise AppError("bad_request", "parent must be an event id")
    clean["parent"] = parent
    return clean


def _room_sync(event: Event, organisers: list) -> None:
    """Organisers moderate the event's room (its creator owns it); invite-only events have a private room."""
    room = event.room
    visibility = Room.PRIVATE if event.invite_only else Room.PUBLIC
    if room.visibility != visibility or room.name != event.title[:120]:
        room.visibility, room.name = visibility, event.title[:120]
        room.save(update_fields=["visibility", "name"])
    for user in organisers:
        membership, created = Membership.objects.get_or_create(
            room=room, user=user, defaults={"role": Membership.MODERATOR}
        )
        if not created and membership.role == Membership.MEMBER:
            membership.role = Membership.MODERATOR
            membership.save(update_fields=["role"])


def event_create(
    *,
    creator,
    title: str,
    starts_at: datetime | str,
    ends_at: datetime | str,
    description: str = "",
    type: str = "others",
    timezone_name: str = "Indian/Reunion",
    address: str = "",
    commune: Commune | str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    capacity: int | None = None,
    invite_only: bool = False,
    show_participants: bool = False,
    parent: int | None = None,
    organisers: list[str] | tuple[str, ...] = (),
    ref: str | None = None,
) -> Event:
    """Create an event (the creator and `organisers` organise it) with its own discussion room."""
    _signed_in_required(creator)
    fields = _validated(
        {
            "title": title,
            "description": description,
            "type": type,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "timezone": timezone_name,
            "address": address,
            "commune": commune,
            "latitude": latitude,
            "longitude": longitude,
            "capacity": capacity,
            "invite_only": invite_only,
            "show_participants": show_participants,
            "parent": parent,
        },
        by=creator,
    )
    co_organisers = _users_by_name(list(organisers))

    def perform() -> dict:
        event = Event.objects.create(created_by=creator, **fields)
        everyone = [creator, *[u for u in co_organisers if u.id != creator.id]]
        event.organisers.set(everyone)
        event.room = room_create(
            creator=creator,
            name=event.title[:120],
            visibility=Room.PRIVATE if event.invite_only else Room.PUBLIC,
            commune=event.commune,
            description=f"Discussion de l'événement « {event.title} »"[:4000],
        )
        event.save(update_fields=["room"])
        _room_sync(event, everyone)
        return {"id": event.id, "topic": event.topic}

    with transaction.atomic():
        result = write_once(user=creator, ref=ref, action="event_create", perform=perform)
    return Event.objects.select_related("created_by", "commune", "room").get(id=result["id"])


def _public_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Commune):
        return value.insee
    if isinstance(value, Event):
        return value.id
    return value


def event_update(*, by, event_id: int, changes: dict, ref: str | None = None) -> dict:
    """Change some fields (organisers only); publishes `event.updated` with the changed values.

    Raising the capacity promotes from the waitlist; lowering it never drops anyone already
    going (new arrivals wait until enough people leave).
    """
    _signed_in_required(by)
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise AppError("bad_request", f"cannot change {sorted(unknown)[0]!r}")

    def perform() -> dict:
        event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
        if event.status == Event.CANCELLED:
            raise AppError("conflict", "a cancelled event cannot be changed")
        current = {name: getattr(event, name) for name in UPDATABLE if name != "organisers"}
        # An unchanged parent is not re-checked: co-organisers of a sub-event may not organise its parent.
        current["parent"] = event.parent
        current["commune"] = event.commune
        merged = {**current, **{k: v for k, v in changes.items() if k != "organisers"}}
        if "commune" in changes and "latitude" not in changes:
            merged["latitude"] = merged["longitude"] = None  # follow the new commune's centre
        clean = _validated(merged, by=by)
        if clean["parent"] is not None and _is_self_or_descendant(event, clean["parent"]):
            raise AppError("bad_request", "an event cannot be its own parent or a parent of its parent")
        changed = {}
        for name, value in clean.items():
            old = getattr(event, name)
            if old != value:
                setattr(event, name, value)
                changed[name] = _public_value(value)
        organisers = list(event.organisers.all())
        if "organisers" in changes:
            new_organisers = _users_by_name(changes["organisers"])
            if not new_organisers:
                raise AppError("bad_request", "an event keeps at least one organiser")
            if {u.id for u in new_organisers} != {u.id for u in organisers}:
                event.organisers.set(new_organisers)
                changed["organisers"] = sorted(u.username for u in new_organisers)
                organisers = new_organisers
        if not changed:
            return {"id": event.id, "revision": event.revision, "changed": []}
        event.revision += 1
        event.save()
        _room_sync(event, organisers)
        if "capacity" in changed:
            waitlist_promote(event)
            attendance_changed(event)
        topic_event_append(
            topic=event.topic, kind="event.updated", data={"changed": changed, "revision": event.revision}
        )
        attendees_notify(event, kind="event_updated", exclude=by.pk)
        return {"id": event.id, "revision": event.revision, "changed": sorted(changed)}

    with transaction.atomic():
        return write_once(user=by, ref=ref, action="event_update", perform=perform)


def _is_self_or_descendant(event: Event, candidate: Event) -> bool:
    seen = set()
    node = candidate
    while node is not None and node.id not in seen:
        if node.id == event.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def event_cancel(*, by, event_id: int, reason: str = "", ref: str | None = None) -> dict:
    """Cancel an event (organisers only): publishes `event.cancelled`; RSVPs are kept for the record."""
    _signed_in_required(by)
    if not isinstance(reason, str) or len(reason) > 1000:
        raise AppError("bad_request", "reason is limited to 1000 characters")

    def perform() -> dict:
        event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
        if event.status == Event.CANCELLED:
            raise AppError("conflict", "this event is already cancelled")
        event.status = Event.CANCELLED
        event.revision += 1
        event.save(update_fields=["status", "revision", "updated_at"])
        attendance_changed(event)
        topic_event_append(
            topic=event.topic, kind="event.cancelled", data={"reason": reason, "revision": event.revision}
        )
        attendees_notify(event, kind="event_cancelled", exclude=by.pk)
        return {"id": event.id, "status": event.status}

    with transaction.atomic():
        return write_once(user=by, ref=ref, action="event_cancel", perform=perform)


def event_invite(*, by, event_id: int, usernames: list[str], ref: str | None = None) -> dict:
    """Organisers invite people: they get an `invited` RSVP (so an invite-only event becomes
    visible to them) and membership of the event's room. People who already answered keep their answer."""
    _signed_in_required(by)
    users = _users_by_name(usernames)
    if not 1 <= len(users) <= 500:
        raise AppError("bad_request", "invite 1-500 people at a time")

    def perform() -> dict:
        event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
        if event.status == Event.CANCELLED:
            raise AppError("conflict", "this event is cancelled")
        answered = set(Rsvp.objects.filter(event=event, user__in=users).values_list("user_id", flat=True))
        invited = [u for u in users if u.id not in answered]
        Rsvp.objects.bulk_create([Rsvp(event=event, user=u, status=Rsvp.INVITED) for u in invited])
        for user in invited:
            Membership.objects.get_or_create(room=event.room, user=user, defaults={"role": Membership.MEMBER})
        notify(
            kind="event_invitation",
            recipients=[u.id for u in invited],
            subject=event.topic,
            data={"actor": by.username, **event_notice(event)},
        )
        return {"invited": sorted(u.username for u in invited)}

    with transaction.atomic():
        return write_once(user=by, ref=ref, action="event_invite", perform=perform)
