"""The `data` of the event kinds co-moderation publishes on `moderation:<room>` (the room's
moderators' topic) and `communemod:<insee>` (the commune's referents' topic). Rooms themselves get `message.hidden` / `message.restored` /
`message.deleted`, debates their `question.*` events."""

from __future__ import annotations

from typing import Literal

from realtime.schemas import EventData


class CaseOpened(EventData):
    id: int
    kind: Literal["message", "question", "proposal"]
    item: int
    reports: int
    proposal: int
    closes_at: str


class CaseDecided(EventData):
    id: int
    kind: Literal["message", "question", "proposal"]
    item: int
    decision: Literal["kept", "removed"]


class AuditAdded(EventData):
    """An entry joined the audit log (the page fetches the log again; the entry is not copied)."""

    action: str
    at: str


EVENT_SCHEMAS = {"case.opened": CaseOpened, "case.decided": CaseDecided, "audit.added": AuditAdded}
