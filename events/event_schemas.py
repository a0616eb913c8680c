"""The `data` of each event kind published on `event:<id>` (registered in settings.REALTIME_EVENT_SCHEMAS)."""

from __future__ import annotations

from typing import Any, Literal

from realtime.schemas import EventData


class EventUpdated(EventData):
    # field -> its new value as the API shows it (ISO date-times, INSEE code, parent id, usernames)
    changed: dict[str, Any]
    revision: int


class EventCancelled(EventData):
    reason: str
    revision: int


class RsvpPromoted(EventData):
    rsvp: int
    # the username only when the event shows its participants, else null
    user: str | None
    status: Literal["going"]


class CommuneEventCreated(EventData):
    """On `commune:<insee>`: a public event of the commune was created (the map adds its marker)."""

    id: int
    title: str
    type: str
    starts_at: str
    ends_at: str
    address: str
    latitude: float | None
    longitude: float | None


EVENT_SCHEMAS = {
    "commune.event_created": CommuneEventCreated,
    "event.updated": EventUpdated,
    "event.cancelled": EventCancelled,
    "rsvp.promoted": RsvpPromoted,
}
