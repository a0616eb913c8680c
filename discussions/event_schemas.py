"""The `data` of each event kind published on `room:<id>` (registered in settings.REALTIME_EVENT_SCHEMAS)."""

from __future__ import annotations

from pydantic import Field

from realtime.schemas import EventData


class MessagePosted(EventData):
    id: int
    author: str
    body: str
    reply_to: int | None
    at: str
    # Set when an edit or deletion redacted this event: `body` is then empty (PROTOCOL.md B.3).
    redacted: bool = False


class MessageEdited(EventData):
    id: int
    body: str
    edited_at: str
    redacted: bool = False


class MessageDeleted(EventData):
    id: int


class MemberJoined(EventData):
    user: str
    role: str


class MemberGone(EventData):
    user: str


class MemberRole(EventData):
    user: str
    role: str


class OwnerTransferred(EventData):
    # `from` is a Python keyword: the field is named by its alias.
    model_config = {**EventData.model_config, "populate_by_name": True}
    from_: str = Field(alias="from")
    to: str


class MessageHidden(EventData):
    """Hidden pending a moderation vote: clients stop showing its text."""

    id: int


class MessageRestored(EventData):
    """A moderation vote kept the message: its text again (redacted like `message.posted`)."""

    id: int
    author: str
    body: str
    reply_to: int | None
    at: str
    edited_at: str | None
    redacted: bool = False


class CommuneRoomCreated(EventData):
    """On `commune:<insee>`: a public room of the commune was created."""

    id: int
    name: str
    description: str
    at: str


EVENT_SCHEMAS = {
    "commune.room_created": CommuneRoomCreated,
    "message.posted": MessagePosted,
    "message.edited": MessageEdited,
    "message.deleted": MessageDeleted,
    "member.joined": MemberJoined,
    "member.left": MemberGone,
    "member.removed": MemberGone,
    "member.role": MemberRole,
    "owner.transferred": OwnerTransferred,
    "message.hidden": MessageHidden,
    "message.restored": MessageRestored,
}
