"""RSVPs, the waitlist and check-in: every write locks the event row first.

The lock (select_for_update on PostgreSQL; on SQLite, IMMEDIATE transactions serialise all
writers) is what makes capacity hold: the seat count is read and changed under it, and the
counters on the event row move in the same transaction as the RSVPs they count.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone

from communes.models import ResidentVerification
from communes.selectors import resident_standing
from communes.services import resident_verify
from events.models import Event, Rsvp
from events.selectors import event_get_for_organiser, event_get_visible, waitlist_rank
from notifications.services import notify
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed
from realtime.writes import user_write

_COUNTERS = {Rsvp.GOING: "going_count", Rsvp.WAITLISTED: "waitlisted_count", Rsvp.INTERESTED: "interested_count"}
COUNTER_FIELDS = [
    "going_count",
    "waitlisted_count",
    "interested_count",
    "checked_in_count",
    "state_version",
    "arrivals",
]


def _open_for_attendance(event: Event) -> None:
    if event.status == Event.CANCELLED:
        raise AppError("conflict", "this event is cancelled")


def _has_free_seat(event: Event) -> bool:
    # The waitlist is served first: nobody overtakes it, even after the capacity was raised.
    if event.waitlisted_count > 0:
        return False
    return event.capacity is None or event.going_count < event.capacity


def status_move(event: Event, rsvp: Rsvp, new_status: str) -> None:
    """Change an RSVP's status and the event's counters to match (the event row is locked)."""
    old_status = rsvp.status
    if old_status == new_status:
        return
    if old_status in _COUNTERS:
        setattr(event, _COUNTERS[old_status], getattr(event, _COUNTERS[old_status]) - 1)
    if new_status in _COUNTERS:
        setattr(event, _COUNTERS[new_status], getattr(event, _COUNTERS[new_status]) + 1)
    if old_status == Rsvp.GOING and rsvp.checked_in_at is not None:
        event.checked_in_count -= 1
        rsvp.checked_in_at = None
        rsvp.checked_in_by = None
    rsvp.status = new_status


def attendance_changed(event: Event) -> None:
    """Save the counters with a new state version and have the `attendance` frame recomputed on commit."""
    event.state_version += 1
    event.save(update_fields=[*COUNTER_FIELDS, "updated_at"])
    topic_state_changed(event.topic)


def waitlist_promote(event: Event) -> list[Rsvp]:
    """Move the head of the waitlist into free seats, first come first served (event row locked).

    Each promotion is a sequenced `rsvp.promoted` event on the event's topic, so the promoted
    person learns it on every socket that follows the event, and on replay after a reconnect.
    """
    if event.waitlisted_count == 0:
        return []
    rows = Rsvp.objects.filter(event=event, status=Rsvp.WAITLISTED).select_related("user").order_by("arrival", "id")
    if event.capacity is not None:
        free = event.capacity - event.going_count
        if free <= 0:
            return []
        rows = rows[:free]
    promoted = list(rows)
    for rsvp in promoted:
        status_move(event, rsvp, Rsvp.GOING)
        rsvp.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
        topic_event_append(
            topic=event.topic,
            kind="rsvp.promoted",
            # The username only where attendees are public; the holder recognises their RSVP id.
            data={
                "rsvp": rsvp.id,
                "user": rsvp.user.username if event.show_participants else None,
                "status": Rsvp.GOING,
            },
        )
    # The promoted learn it on their personal topic too, with no event page open.
    notify(
        kind="waitlist_promoted",
        recipients=[rsvp.user_id for rsvp in promoted],
        subject=event.topic,
        data={"title": event.title, "event": event.id, "url": f"/#/event/{event.id}"},
    )
    return promoted


def _rsvp_result(rsvp: Rsvp, *, changed: bool) -> dict:
    return {"status": rsvp.status, "rsvp": rsvp.id, "waitlist_position": waitlist_rank(rsvp), "changed": changed}


@user_write("rsvp", actor="user")
def rsvp_set(*, user, event_id: int, status: str, ref: str | None = None) -> dict:
    """Answer an event: `going` (or `waitlisted` when full), `interested`, `declined`.

    Asking `going` again while going or waitlisted keeps one's seat or place. Leaving a seat
    promotes the head of the waitlist in the same transaction. Returns {status, rsvp,
    waitlist_position, changed}.
    """
    event = event_get_visible(event_id=event_id, user=user, for_update=True)
    _open_for_attendance(event)
    if event.ends_at <= timezone.now():
        raise AppError("conflict", "this event is over")
    rsvp = Rsvp.objects.filter(event=event, user=user).first() or Rsvp(event=event, user=user, status=Rsvp.DECLINED)
    old_status = rsvp.status
    new_status = status
    if status == Rsvp.GOING:
        if old_status in (Rsvp.GOING, Rsvp.WAITLISTED):
            new_status = old_status
        else:
            event.arrivals += 1
            rsvp.arrival = event.arrivals
            new_status = Rsvp.GOING if _has_free_seat(event) else Rsvp.WAITLISTED
    if new_status == old_status and rsvp.pk is not None:
        return _rsvp_result(rsvp, changed=False)
    status_move(event, rsvp, new_status)
    rsvp.save()
    if old_status == Rsvp.GOING:
        waitlist_promote(event)
    attendance_changed(event)
    return _rsvp_result(rsvp, changed=True)


@user_write("rsvp_remove", actor="by")
def rsvp_remove(*, by, event_id: int, username: str, ref: str | None = None) -> dict:
    """An organiser removes someone's RSVP (it becomes `declined`); a freed seat goes to the waitlist."""
    event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
    rsvp = Rsvp.objects.filter(event=event, user__username=username).first()
    if rsvp is None or rsvp.status == Rsvp.DECLINED:
        raise AppError("not_found", f"{username!r} has no RSVP to this event")
    old_status = rsvp.status
    status_move(event, rsvp, Rsvp.DECLINED)
    rsvp.save()
    if old_status == Rsvp.GOING:
        waitlist_promote(event)
    attendance_changed(event)
    return {"status": rsvp.status, "rsvp": rsvp.id}


def _ticket_for_checkin(*, event: Event, code: str) -> Rsvp:
    code = code.strip().upper()
    rsvp = Rsvp.objects.select_related("user").filter(event=event, code=code).first()
    if rsvp is None:
        raise AppError("not_found", f"no ticket {code!r} for this event")
    return rsvp


@user_write("checkin", actor="by")
def checkin(*, by, event_id: int, code: str, ref: str | None = None, verify_resident: bool = False) -> dict:
    """An organiser checks a `going` ticket in at the door; a second check-in is a `conflict` saying when.

    With `verify_resident`, the organiser, a referent of the event's commune, also verifies the
    attendee as a resident of it, in the same transaction: if the verification is refused (not a
    referent, the attendee declared another commune), nothing is written. The result's `resident`
    (`verified`, `declared`, `elsewhere`) is given to the commune's referents only."""
    event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
    _open_for_attendance(event)
    rsvp = _ticket_for_checkin(event=event, code=code)
    if rsvp.status != Rsvp.GOING:
        raise AppError("conflict", f"ticket {rsvp.code} is {rsvp.status}, not going: no seat to check in")
    if rsvp.checked_in_at is not None:
        at = timezone.localtime(rsvp.checked_in_at, event_zone(event)).strftime("%H:%M:%S")
        raise AppError("conflict", f"ticket {rsvp.code} ({rsvp.user.username}) is already checked in, at {at}")
    if verify_resident:
        if event.commune_id is None:
            raise AppError("bad_request", "this event is in no commune: nobody can be verified as its resident")
        resident_verify(
            referent=by, insee=event.commune_id, username=rsvp.user.username, method=ResidentVerification.CHECKIN
        )
    rsvp.checked_in_at = timezone.now()
    rsvp.checked_in_by = by
    rsvp.save(update_fields=["checked_in_at", "checked_in_by"])
    event.checked_in_count += 1
    attendance_changed(event)
    result = {
        "code": rsvp.code,
        "user": rsvp.user.username,
        "checked_in": True,
        "checked_in_at": rsvp.checked_in_at.isoformat(),
    }
    standing = resident_standing(referent=by, insee=event.commune_id, resident=rsvp.user)
    if standing is not None:
        result["resident"] = standing
    return result


@user_write("checkin_undo", actor="by")
def checkin_undo(*, by, event_id: int, code: str, ref: str | None = None) -> dict:
    """An organiser undoes a check-in (scanned the wrong ticket); `conflict` if it was not checked in."""
    event = event_get_for_organiser(event_id=event_id, user=by, for_update=True)
    rsvp = _ticket_for_checkin(event=event, code=code)
    if rsvp.checked_in_at is None:
        raise AppError("conflict", f"ticket {rsvp.code} is not checked in")
    rsvp.checked_in_at = None
    rsvp.checked_in_by = None
    rsvp.save(update_fields=["checked_in_at", "checked_in_by"])
    event.checked_in_count -= 1
    attendance_changed(event)
    return {"code": rsvp.code, "user": rsvp.user.username, "checked_in": False, "checked_in_at": None}


def event_zone(event: Event) -> ZoneInfo:
    return ZoneInfo(event.timezone)
