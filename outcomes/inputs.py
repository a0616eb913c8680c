"""What a client may send to write outcomes and actions: one model per write, shared by the
socket commands (`commands.py`) and the HTTP API (`api.py`). Types and limits live here only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictStr, model_validator

from discussions.inputs import TEXT_MAX
from realtime.schemas import WriteInput, text

ACTION_TITLE_MAX = 200
ASSIGNEES_MAX = 20
USERNAME_MAX = 150
Status = Literal["todo", "doing", "done"]
Username = Annotated[StrictStr, Field(min_length=1, max_length=USERNAME_MAX)]


def _distinct(names: list[str]) -> list[str]:
    if len({name.casefold() for name in names}) != len(names):
        raise ValueError("assignees must be distinct")
    return names


Assignees = Annotated[list[Username], Field(max_length=ASSIGNEES_MAX), AfterValidator(_distinct)]


class OutcomeIn(WriteInput):
    statement: text(TEXT_MAX)


class ActionIn(WriteInput):
    title: text(ACTION_TITLE_MAX)
    due: date | None = None
    assignees: Assignees = []


class ActionPatch(WriteInput):
    """Any of the fields; `clear_due` removes the due date."""

    title: text(ACTION_TITLE_MAX) | None = None
    status: Status | None = None
    due: date | None = None
    clear_due: StrictBool = False
    assignees: Assignees | None = None

    @model_validator(mode="after")
    def _something(self) -> ActionPatch:
        if self.title is None and self.status is None and self.due is None and self.assignees is None:
            if not self.clear_due:
                raise ValueError("give at least one of title, status, due, clear_due, assignees")
        if self.clear_due and self.due is not None:
            raise ValueError("due and clear_due together")
        return self


class VolunteerIn(WriteInput):
    """`withdraw: true` takes one's name off the action."""

    withdraw: StrictBool = False
