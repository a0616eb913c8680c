"""What a client may send to write on events: one model per write, shared by the socket
commands (`commands.py`) and the HTTP API (`api.py`). Types and limits live here only;
the services keep the rules of events (times in the event's zone, who organises, capacity)."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from accounts.tags import Tags
from events.models import EVENT_TYPES
from realtime.schemas import DateTime, Input, WriteInput, optional_text, text

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
ADDRESS_MAX = 300
CAPACITY_MAX = 1_000_000
REASON_MAX = 1000
INVITES_MAX = 500
CODE_MAX = 16


def _zone_known(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name[:64]!r}; expected an IANA zone like 'Indian/Reunion'") from None
    return name


EventType = Literal[tuple(EVENT_TYPES)]
ZoneName = Annotated[StrictStr, Field(min_length=1, max_length=64), AfterValidator(_zone_known)]
Capacity = Annotated[StrictInt, Field(ge=0, le=CAPACITY_MAX)]
Latitude = Annotated[StrictFloat | StrictInt, Field(ge=-90, le=90)]
Longitude = Annotated[StrictFloat | StrictInt, Field(ge=-180, le=180)]
Usernames = Annotated[list[StrictStr], Field(max_length=INVITES_MAX)]


class PlaceIn(Input):
    address: optional_text(ADDRESS_MAX) = ""
    commune: StrictStr | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class EventIn(WriteInput):
    """A new event. A naive `starts_at`/`ends_at` is read in `timezone` (by the service)."""

    title: text(TITLE_MAX)
    starts_at: DateTime
    ends_at: DateTime
    description: optional_text(DESCRIPTION_MAX) = ""
    type: EventType = "others"
    timezone: ZoneName = "Indian/Reunion"
    capacity: Capacity | None = None
    commune: StrictStr | None = None
    # A free-text address, or {address, commune, latitude, longitude}; folded into the fields below.
    place: StrictStr | PlaceIn | None = Field(None, exclude=True)
    address: optional_text(ADDRESS_MAX) = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    invite_only: StrictBool = False
    show_participants: StrictBool = False
    parent: StrictInt | None = None
    organisers: Usernames = []
    tags: Tags = []

    @model_validator(mode="before")
    @classmethod
    def _place_folded(cls, data):
        if not isinstance(data, dict) or data.get("place") is None:
            return data
        data = dict(data)
        place = data["place"]
        if isinstance(place, str):
            data["address"] = place
            return data
        place = PlaceIn.model_validate(place)
        data["address"] = place.address or data.get("address", "")
        data["commune"] = place.commune or data.get("commune")
        if place.latitude is not None or place.longitude is not None:
            data["latitude"], data["longitude"] = place.latitude, place.longitude
        return data


class EventPatch(WriteInput):
    """The fields to change, and only those (a field not sent is kept; null clears what may be null)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Not nullable: a default of None only marks "not sent".
    title: text(TITLE_MAX) = None
    starts_at: DateTime = None
    ends_at: DateTime = None
    description: optional_text(DESCRIPTION_MAX) = None
    type: EventType = None
    timezone: ZoneName = None
    address: optional_text(ADDRESS_MAX) = None
    invite_only: StrictBool = None
    show_participants: StrictBool = None
    organisers: Annotated[Usernames, Field(min_length=1)] = None
    # Nullable: null means unlimited, no commune, no coordinates, no parent.
    capacity: Capacity | None = None
    commune: StrictStr | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    parent: StrictInt | None = None
    tags: Tags = None

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude={"ref"})


class CancelIn(WriteInput):
    reason: optional_text(REASON_MAX) = ""


class RsvpIn(WriteInput):
    status: Literal["going", "interested", "declined"]


class CodeIn(WriteInput):
    code: text(CODE_MAX)


class CheckinVerifyIn(CodeIn):
    # true also verifies the attendee as a resident of the event's commune (referents of it only)
    verify_resident: StrictBool = False


class CheckinIn(CheckinVerifyIn):
    # true undoes a check-in made by mistake (the socket's `checkin`; HTTP has /checkin/undo)
    undo: StrictBool = False


class InviteIn(WriteInput):
    usernames: Annotated[Usernames, Field(min_length=1)]
