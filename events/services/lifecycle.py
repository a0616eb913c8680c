"""Create, update and cancel events; organisers and invitations. Organisers only, one transaction each.

Input types and limits are checked by `events.inputs` before a service runs; what is left
here are the rules of events: times read in the event's zone, an end after the start, a
place at its commune's centre, who organises, sub-events under their organisers' events.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.tags import tags_index_set
from communes.models import Commune
from communes.selectors import commune_get
from communes.stream import commune_news_append
from discussions.models import Membership, Room
from discussions.services import (
    room_create,
    room_members_grant,
    room_members_revoke,
    room_settings_set,
    room_staff_lower,
)
from events.inputs import EventIn, EventPatch
from events.models import Event, Rsvp
from events.selectors import event_get_for_organiser, event_get_visible
from events.services.attendance import attendance_changed, status_move, waitlist_promote
from events.services.notices import attendees_notify, event_notice
from notifications.services import notify
from realtime.access import topic_access_changed
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.writes import user_write


def _users_by_name(usernames: list[str]) -> list:
    wanted = list(dict.fromkeys(usernames))
    users = list(get_user_model().objects.filter(username__in=wanted))
    missing = set(wanted) - {u.username for u in users}
    if missing:
        raise AppError("not_found", f"no user named {sorted(missing)[0]!r}")
    return users


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """An aware datetime; a naive one is read in the event's own time zone."""
    return moment.replace(tzinfo=zone) if timezone.is_naive(moment) else moment


def _fields_settled(fields: dict, *, by) -> dict:
    """The rules of an event's fields (the merged result, for an update): times in the event's
    zone and in order, the commune and its centre, a parent the author organises."""
    clean = dict(fields)
    zone = ZoneInfo(fields["timezone"])
    clean["starts_at"] = _in_zone(fields["starts_at"], zone)
    clean["ends_at"] = _in_zone(fields["ends_at"], zone)
    if clean["ends_at"] <= clean["starts_at"]:
        raise AppError("bad_request", "ends_at must be after starts_at")
    commune = fields["commune"]
    if isinstance(commune, str):
        commune = commune_get(insee=commune)
    clean["commune"] = commune
    if (fields["latitude"] is None) != (fields["longitude"] is None):
        raise AppError("bad_request", "give both latitude and longitude, or neither")
    if fields["latitude"] is None and commune is not None:
        # Without a precise place the event sits at its commune's centre, so "near me" finds it.
        clean["latitude"], clean["longitude"] = commune.latitude, commune.longitude
    parent = fields["parent"]
    if isinstance(parent, int):
        parent = event_get_visible(event_id=parent, user=by)
        if not parent.organisers.filter(id=by.id).exists():
            raise AppError("forbidden", "only organisers of the parent event may attach sub-events to it")
    clean["parent"] = parent
    return clean


def _room_sync(event: Event, organisers: list) -> None:
    """Organisers moderate the event's room (its creator owns it); invite-only events have a private room."""
    room_settings_set(
        room_id=event.room_id,
        name=event.title[:120],
        visibility=Room.PRIVATE if event.invite_only else Room.PUBLIC,
    )
    room_members_grant(room_id=event.room_id, users=organisers, role=Membership.MODERATOR)


@user_write("event_create", actor="creator")
def event_create(*, creator, event: EventIn, ref: str | None = None) -> dict:
    """Create an event (the creator and `organisers` organise it) with its own discussion room.
    Returns {id, topic}."""
    fields = event.model_dump(exclude={"ref", "organisers"})
    fields = _fields_settled(fields, by=creator)
    co_organisers = _users_by_name(event.organisers)
    row = Event.objects.create(created_by=creator, **fields)
    everyone = [creator, *[u for u in co_organisers if u.id != creator.id]]
    row.organisers.set(everyone)
    room = room_create(
        creator=creator,
        name=row.title[:120],
        visibility=Room.PRIVATE if row.invite_only else Room.PUBLIC,
        # Reached from its event's page: listed under the commune it would repeat the event.
        commune=None,
        description=f"Discussion de l'événement « {row.title} »",
        announce=False,
    )
    row.room_id = room["id"]
    row.save(update_fields=["room"])
    _room_sync(row, everyone)
    if row.tags:
        tags_index_set(kind="event", object_id=row.id, tags=row.tags)
    if not row.invite_only:
        commune_news_append(insee=row.commune_id, kind="commune.event_created", data=commune_event_data(row))
    return {"id": row.id, "topic": row.topic}


def commune_event_data(event: Event) -> dict:
    return {
        "id": event.id,
        "title": event.title,
        "type": event.type,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "address": event.address,
        "latitude": event.latitude,
        "longitude": event.longitude,
    }


def _public_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Commune):
        return value.insee
    if isinstance(value, Event):
        return value.id
    return value


def _is_self_or_descendant(event: Event, candidate: Event) -> bool:
    seen = set()
    node = candidate
    while node is not None and node.id not in seen:
        if node.id == event.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def _changes_applied(event: Event, changes: dict, *, by) -> dict:
    """Set the changed fields on `event` (checked as a whole); {field: new public value}."""
    current = {name: getattr(event, name) for name in EventPatch.model_fields if name not in ("ref", "organisers")}
    # An unchanged parent is not re-checked: co-organisers of a sub-event may not organise its parent.
    current["parent"], current["commune"] = event.parent, event.commune
    merged = {**current, **{k: v for k, v in changes.items() if k != "organisers"}}
    if "commune" in changes and "latitude" not in changes:
        merged["latitude"] = merged["longitude"] = None  # follow the new commune's centre
    clean = _fields_settled(merged, by=by)
    if clean["parent"] is not None and _is_self_or_descendant(event, clean["parent"]):
        raise AppError("bad_request", "an event cannot be its own parent or a parent of its parent")
    changed = {}
    for name, value in clean.items():
        if getattr(event, name) != value:
            setattr(event, name, value)
            changed[name] = _public_value(value)
    return changed


@user_write("event_update", actor="by")
def event_update(*, by, event_id: int, changes: EventPatch, ref: str | None = None) -> dict:
    """Change some fields (organisers only); publishes `event.updated` with the changed values.

    Raising the capacity promotes from the waitlist; lowering it never drops anyone already
    going (new arrivals wait until enough people leave).
    """
    requested = changes.changes()
    event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
    if event.status == Event.CANCELLED:
        raise AppError("conflict", "a cancelled event cannot be changed")
    changed = _changes_applied(event, requested, by=by)
    organisers = list(event.organisers.all())
    if "organisers" in requested:
        new_organisers = _users_by_name(requested["organisers"])
        if {u.id for u in new_organisers} != {u.id for u in organisers}:
            event.organisers.set(new_organisers)
            changed["organisers"] = sorted(u.username for u in new_organisers)
            organisers = new_organisers
    if not changed:
        return {"id": event.id, "revision": event.revision, "changed": []}
    event.revision += 1
    event.save()
    _room_sync(event, organisers)
    if "tags" in changed:
        tags_index_set(kind="event", object_id=event.id, tags=event.tags)
    if "invite_only" in changed or "organisers" in changed:
        # Who may follow the event and its room changed: live subscriptions are checked again.
        topic_access_changed(event.topic)
        topic_access_changed(f"room:{event.room_id}")
    if "capacity" in changed:
        waitlist_promote(event)
        attendance_changed(event)
    topic_event_append(topic=event.topic, kind="event.updated", data={"changed": changed, "revision": event.revision})
    attendees_notify(event, kind="event_updated", exclude=by.pk)
    return {"id": event.id, "revision": event.revision, "changed": sorted(changed)}


def event_organisers_change(*, event_id: int, add: list, remove: list) -> None:
    """For the app that owns an event's organisers (an organisation whose admins change): `add`
    organise it and moderate its room, `remove` no longer do (live subscriptions are checked
    again). At least one organiser stays; the caller has checked who may do this."""
    event = Event.objects.select_for_update().get(id=event_id)
    before = {u.id: u for u in event.organisers.all()}
    after = {uid: u for uid, u in before.items() if uid not in {r.id for r in remove}}
    after.update({u.id: u for u in add})
    if not after or after.keys() == before.keys():
        return
    organisers = list(after.values())
    event.organisers.set(organisers)
    event.revision += 1
    event.save(update_fields=["revision", "updated_at"])
    _room_sync(event, organisers)
    gone = [u for uid, u in before.items() if uid not in after]
    if gone:
        room_staff_lower(room_id=event.room_id, users=gone, owner_instead=organisers[0])
    topic_access_changed(event.topic)
    topic_access_changed(f"room:{event.room_id}")
    changed = {"organisers": sorted(u.username for u in organisers)}
    topic_event_append(topic=event.topic, kind="event.updated", data={"changed": changed, "revision": event.revision})


@user_write("event_cancel", actor="by")
def event_cancel(*, by, event_id: int, reason: str = "", ref: str | None = None) -> dict:
    """Cancel an event (organisers only): publishes `event.cancelled`; RSVPs are kept for the record."""
    event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
    if event.status == Event.CANCELLED:
        raise AppError("conflict", "this event is already cancelled")
    event.status = Event.CANCELLED
    event.revision += 1
    event.save(update_fields=["status", "revision", "updated_at"])
    attendance_changed(event)
    topic_event_append(topic=event.topic, kind="event.cancelled", data={"reason": reason, "revision": event.revision})
    attendees_notify(event, kind="event_cancelled", exclude=by.pk)
    return {"id": event.id, "status": event.status}


@user_write("event_invite", actor="by")
def event_invite(*, by, event_id: int, usernames: list[str], ref: str | None = None) -> dict:
    """Organisers invite people: they get an `invited` RSVP (so an invite-only event becomes
    visible to them) and membership of the event's room. People who already answered keep their answer."""
    users = _users_by_name(usernames)
    event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
    if event.status == Event.CANCELLED:
        raise AppError("conflict", "this event is cancelled")
    answered = set(Rsvp.objects.filter(event=event, user__in=users).values_list("user_id", flat=True))
    invited = [u for u in users if u.id not in answered]
    Rsvp.objects.bulk_create([Rsvp(event=event, user=u, status=Rsvp.INVITED) for u in invited])
    room_members_grant(room_id=event.room_id, users=invited, role=Membership.MEMBER)
    notify(
        kind="event_invitation",
        recipients=[u.id for u in invited],
        subject=event.topic,
        data={"actor": by.username, **event_notice(event)},
    )
    return {"invited": sorted(u.username for u in invited)}


@user_write("event_uninvite", actor="by")
def event_uninvite(*, by, event_id: int, usernames: list[str], ref: str | None = None) -> dict:
    """Organisers withdraw invitations: the person loses the RSVP (and the seat, which goes to
    the waitlist), the membership of the event's room and, on an invite-only event, the event
    itself: live subscriptions end on every process and they cannot RSVP until invited again."""
    users = _users_by_name(usernames)
    if not 1 <= len(users) <= 500:
        raise AppError("bad_request", "uninvite 1-500 people at a time")
    event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
    organisers = set(event.organisers.values_list("id", flat=True))
    if any(u.id in organisers for u in users):
        raise AppError("conflict", "an organiser cannot be uninvited; change the organisers first")
    rsvps = list(Rsvp.objects.filter(event=event, user__in=users).select_related("user"))
    seat_freed = False
    for rsvp in rsvps:
        seat_freed |= rsvp.status == Rsvp.GOING
        status_move(event, rsvp, Rsvp.DECLINED)
    Rsvp.objects.filter(id__in=[r.id for r in rsvps]).delete()
    room_members_revoke(room_id=event.room_id, users=users)
    if seat_freed:
        waitlist_promote(event)
    attendance_changed(event)
    topic_access_changed(event.topic)
    topic_access_changed(f"room:{event.room_id}")
    return {"uninvited": sorted(r.user.username for r in rsvps)}
