"""What a client may send to write on their own profile (types and limits)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, StrictBool

from accounts.tags import Tags
from realtime.schemas import WriteInput, optional_text

DISPLAY_NAME_MAX = 80
BIO_MAX = 1000


class ProfilePatch(WriteInput):
    """The fields to change, and only those."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: optional_text(DISPLAY_NAME_MAX) = None
    bio: optional_text(BIO_MAX) = None
    interests: Tags = None
    visibility: Literal["public", "signed_in", "private"] = None
    discoverable: StrictBool = None
    show_commune: StrictBool = None
    show_organisations: StrictBool = None

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude={"ref"})
