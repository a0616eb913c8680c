"""Writes on events. Each is one transaction that locks the event row, and publishes on commit."""

from events.services.attendance import checkin, checkin_undo, rsvp_remove, rsvp_set, waitlist_promote
from events.services.lifecycle import (
    event_cancel,
    event_create,
    event_invite,
    event_organisers_change,
    event_uninvite,
    event_update,
)

__all__ = [
    "checkin",
    "checkin_undo",
    "event_cancel",
    "event_create",
    "event_invite",
    "event_organisers_change",
    "event_uninvite",
    "event_update",
    "rsvp_remove",
    "rsvp_set",
    "waitlist_promote",
]
