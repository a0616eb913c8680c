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


class MessageEdited(EventData):
    id: int
    body: str
    edited_at: str


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


class ReactionChanged(EventData):
    message: int
    emoji: str
    count: int


EVENT_SCHEMAS = {
    "message.posted": MessagePosted,
    "message.edited": MessageEdited,
    "message.deleted": MessageDeleted,
    "member.joined": MemberJoined,
    "member.left": MemberGone,
    "member.removed": MemberGone,
    "member.role": MemberRole,
    "owner.transferred": OwnerTransferred,
    "reaction.changed": ReactionChanged,
}
