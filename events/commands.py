"""Socket commands on event topics: validated frames -> the same services the HTTP API calls."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictStr

from events import services
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id


class RsvpCommand(WriteCommand):
    status: Literal["going", "interested", "declined"]


class CheckinCommand(WriteCommand):
    code: Annotated[StrictStr, Field(min_length=1, max_length=16)]
    # true undoes a check-in made by mistake
    undo: StrictBool = False


def rsvp(*, user, command: RsvpCommand) -> dict:
    return services.rsvp_set(
        user=user, event_id=topic_object_id(command.topic, "event"), status=command.status, ref=command.ref
    )


def checkin(*, user, command: CheckinCommand) -> dict:
    write = services.checkin_undo if command.undo else services.checkin
    return write(by=user, event_id=topic_object_id(command.topic, "event"), code=command.code, ref=command.ref)


COMMANDS = {"rsvp": (RsvpCommand, rsvp), "checkin": (CheckinCommand, checkin)}
