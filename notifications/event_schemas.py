"""The `data` of each event kind published on `user:<id>` (registered in settings.REALTIME_EVENT_SCHEMAS)."""

from __future__ import annotations

from realtime.schemas import EventData


class NotificationCreated(EventData):
    id: int
    kind: str
    subject: str | None
    data: dict
    seq: int | None
    at: str
    read: bool


class NotificationRead(EventData):
    ids: list[int]


EVENT_SCHEMAS = {
    "notification.created": NotificationCreated,
    "notification.read": NotificationRead,
}
