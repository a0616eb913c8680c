"""The `data` of each event kind outcomes publish (registered in settings.REALTIME_EVENT_SCHEMAS).

`action.created` and `action.updated` go to the proposal's topic, its room's topic and, for a
proposal anyone may read, its commune's topic; `outcome.stated` to the proposal's topic."""

from __future__ import annotations

from typing import Literal

from realtime.schemas import EventData


class OutcomeStated(EventData):
    proposal: int
    statement: str
    author: str
    stated_at: str


class AssigneeData(EventData):
    user: str
    volunteered: bool


class ActionData(EventData):
    id: int
    proposal: int
    proposal_title: str
    title: str
    status: Literal["todo", "doing", "done"]
    due: str | None
    assignees: list[AssigneeData]
    version: int


EVENT_SCHEMAS = {
    "outcome.stated": OutcomeStated,
    "action.created": ActionData,
    "action.updated": ActionData,
}
