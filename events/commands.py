"""Socket commands on event topics: validated frames -> the same services the HTTP API calls."""

from __future__ import annotations

from events import services
from events.inputs import CheckinIn, RsvpIn
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id


class RsvpCommand(WriteCommand, RsvpIn):
    pass


class CheckinCommand(WriteCommand, CheckinIn):
    pass


def rsvp(*, user, command: RsvpCommand) -> dict:
    return services.rsvp_set(
        user=user, event_id=topic_object_id(command.topic, "event"), status=command.status, ref=command.ref
    )


def checkin(*, user, command: CheckinCommand) -> dict:
    event_id = topic_object_id(command.topic, "event")
    if command.undo:
        return services.checkin_undo(by=user, event_id=event_id, code=command.code, ref=command.ref)
    return services.checkin(
        by=user, event_id=event_id, code=command.code, ref=command.ref, verify_resident=command.verify_resident
    )


COMMANDS = {"rsvp": (RsvpCommand, rsvp), "checkin": (CheckinCommand, checkin)}
