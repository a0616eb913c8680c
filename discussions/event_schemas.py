"""The `data` of each event kind published on `room:<id>` (registered in settings.REALTIME_EVENT_SCHEMAS)."""

from __future__ import annotations

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


EVENT_SCHEMAS = {
    "message.posted": MessagePosted,
    "message.edited": MessageEdited,
    "message.deleted": MessageDeleted,
}
