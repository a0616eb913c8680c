"""Who hears of an event's changes: those going, waitlisted or interested (never the author of the change)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from events.models import Event, Rsvp
from notifications.selectors import once_done
from notifications.services import notify, notify_once

CONCERNED = (Rsvp.GOING, Rsvp.WAITLISTED, Rsvp.INTERESTED)
STARTING_WITHIN = timedelta(hours=1)


def event_notice(event: Event) -> dict:
    return {"title": event.title, "event": event.id, "url": f"/#/event/{event.id}"}


def attendee_ids(event: Event) -> list[int]:
    return list(Rsvp.objects.filter(event=event, status__in=CONCERNED).values_list("user_id", flat=True))


def attendees_notify(event: Event, *, kind: str, exclude: int | None = None) -> None:
    notify(kind=kind, recipients=attendee_ids(event), subject=event.topic, data=event_notice(event), exclude=exclude)


def events_starting_notify(*, now=None) -> int:
    """Scheduler job: remind those going or interested when their event starts within the hour, once."""
    now = now or timezone.now()
    soon = Event.objects.filter(status=Event.SCHEDULED, starts_at__gt=now, starts_at__lte=now + STARTING_WITHIN)
    events = list(soon.order_by("starts_at")[:200])
    done = once_done([f"event_starting:{event.id}" for event in events])
    reminded = 0
    for event in (e for e in events if f"event_starting:{e.id}" not in done):
        recipients = Rsvp.objects.filter(event=event, status__in=(Rsvp.GOING, Rsvp.INTERESTED))
        reminded += notify_once(
            key=f"event_starting:{event.id}",
            kind="event_starting",
            recipients=recipients.values_list("user_id", flat=True),
            subject=event.topic,
            data=event_notice(event),
        )
    return reminded
