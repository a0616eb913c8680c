"""The `data` of each event kind organisations publish (settings.REALTIME_EVENT_SCHEMAS)."""

from __future__ import annotations

from typing import Any, Literal

from realtime.schemas import EventData


class OrganisationUpdated(EventData):
    # field -> its new value (links and tags as lists; image_version after a new picture)
    changed: dict[str, Any]


class MemberJoined(EventData):
    user: str
    role: Literal["admin", "member"]


class MemberLeft(EventData):
    user: str


class RoleChanged(EventData):
    user: str
    role: Literal["admin", "member"]


class ItemAdded(EventData):
    kind: Literal["room", "event", "proposal"]
    id: int
    title: str


class MembershipRequested(EventData):
    """On `orgadmin:<id>` only."""

    user: str
    at: str


class MembershipDecided(EventData):
    """On `orgadmin:<id>` only."""

    user: str
    decision: Literal["approve", "refuse"]
    by: str


class CommuneOrganisationCreated(EventData):
    """On `commune:<insee>`: an organisation of the commune was created (the map adds its marker)."""

    id: int
    name: str
    kind: str
    address: str
    latitude: float | None
    longitude: float | None
    tags: list[str]


EVENT_SCHEMAS = {
    "commune.organisation_created": CommuneOrganisationCreated,
    "organisation.updated": OrganisationUpdated,
    "organisation.member_joined": MemberJoined,
    "organisation.member_left": MemberLeft,
    "organisation.role_changed": RoleChanged,
    "organisation.item_added": ItemAdded,
    "membership.requested": MembershipRequested,
    "membership.decided": MembershipDecided,
}
