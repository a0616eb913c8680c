"""What a client may send to write on organisations: one model per write (types and limits);
the services keep the rules (who is admin, the last admin stays, approval)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from accounts.tags import Tags
from organisations.models import KINDS
from realtime.schemas import WriteInput, optional_text, text

NAME_MAX = 200
DESCRIPTION_MAX = 10_000
ADDRESS_MAX = 300
LINK_MAX = 300
LINKS_MAX = 10


def _links_checked(links: list[str]) -> list[str]:
    if len(links) > LINKS_MAX:
        raise ValueError(f"at most {LINKS_MAX} links")
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > LINK_MAX:
            raise ValueError(f"{link[:60]!r} is not an http(s) address of at most {LINK_MAX} characters")
    return list(dict.fromkeys(links))


Kind = Literal[tuple(KINDS)]
Links = Annotated[list[StrictStr], AfterValidator(_links_checked)]
Latitude = Annotated[StrictFloat | StrictInt, Field(ge=-90, le=90)]
Longitude = Annotated[StrictFloat | StrictInt, Field(ge=-180, le=180)]
Role = Literal["admin", "member"]


class OrganisationIn(WriteInput):
    kind: Kind = Field(description="association | ngo | business | group | public (a public institution)")
    name: text(NAME_MAX)
    commune: StrictStr = Field(description="INSEE code")
    description: optional_text(DESCRIPTION_MAX) = ""
    address: optional_text(ADDRESS_MAX) = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    links: Links = []
    tags: Tags = []
    join_approval: StrictBool = True


class OrganisationPatch(WriteInput):
    """The fields to change, and only those."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind = None
    name: text(NAME_MAX) = None
    description: optional_text(DESCRIPTION_MAX) = None
    address: optional_text(ADDRESS_MAX) = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    links: Links = None
    tags: Tags = None
    join_approval: StrictBool = None

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude={"ref"})


class RoleIn(WriteInput):
    role: Role


class DecisionIn(WriteInput):
    decision: Literal["approve", "refuse"]


class OrganisationRoomIn(WriteInput):
    name: text(120)
    visibility: Literal["public", "private"] = "public"
    description: optional_text(4000) = ""
    tags: Tags = []


Username = Annotated[StrictStr, Field(min_length=1, max_length=150)]
