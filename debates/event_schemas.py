"""The `data` of each event kind of debate mode (registered in settings.REALTIME_EVENT_SCHEMAS).

On `debate:<room>` question events carry ids only; on `moderation:<room>` `question.asked`
carries the whole question as moderators see it, hence its optional fields.
"""

from __future__ import annotations

from typing import Literal

from realtime.schemas import EventData


class QuestionAsked(EventData):
    id: int
    # moderators' topic only:
    body: str | None = None
    author: str | None = None
    anonymous: bool | None = None
    upvotes: int | None = None
    pinned: bool | None = None
    answered: bool | None = None
    at: str | None = None
    status: Literal["visible", "pending"] | None = None
    hidden_reason: str | None = None
    merged_into: int | None = None
    # Set when a moderation vote removed the question: its text is gone from the replay.
    redacted: bool = False


class QuestionId(EventData):
    id: int


class QuestionPinned(EventData):
    id: int
    pinned: bool


class QuestionHidden(EventData):
    id: int
    reason: str | None = None  # moderators' topic only


class QuestionMerged(EventData):
    id: int
    into: int


class VoteOpened(EventData):
    proposal: int
    topic: str
    title: str


class FloorGiven(EventData):
    id: int
    user: str | None
    started_at: str
    ends_at: str | None
    auto_end: bool
    by: str


class FloorEnded(EventData):
    id: int
    user: str | None
    started_at: str
    ends_at: str | None
    auto_end: bool
    ended_at: str
    by: Literal["moderator", "limit"]
    seconds: float


class DebateConfigured(EventData):
    premoderation: bool
    turn_limit: int | None
    auto_end: bool
    fairness: Literal["arrival", "not_spoken", "least_time"]


EVENT_SCHEMAS = {
    "question.asked": QuestionAsked,
    "question.approved": QuestionId,
    "question.pinned": QuestionPinned,
    "question.answered": QuestionId,
    "question.hidden": QuestionHidden,
    "question.merged": QuestionMerged,
    "vote.opened": VoteOpened,
    "floor.given": FloorGiven,
    "floor.ended": FloorEnded,
    "debate.configured": DebateConfigured,
}
