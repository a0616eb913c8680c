"""What a client may send to co-moderate: one model per write, shared by the socket commands
(`commands.py`) and the HTTP API (`api.py`). Types and limits live here only."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr, model_validator

from realtime.schemas import WriteInput, optional_text, text

REASON_MAX = 500
Reason = text(REASON_MAX)
Username = Annotated[StrictStr, Field(min_length=1, max_length=150)]
ItemKind = Literal["message", "question", "proposal"]


class ReportIn(WriteInput):
    kind: ItemKind
    item: StrictInt
    reason: Reason


class SanctionIn(WriteInput):
    """Mute or ban `user` in the room; `lift: true` undoes it (the reason may then be empty)."""

    user: Username
    kind: Literal["mute", "ban"]
    reason: optional_text(REASON_MAX) = ""
    lift: StrictBool = False

    @model_validator(mode="after")
    def _reason_given(self) -> SanctionIn:
        if not self.lift and not self.reason:
            raise ValueError("reason: a mute or a ban needs a reason")
        return self


class TrustIn(WriteInput):
    user: Username
    trusted: StrictBool = True


class PolicyIn(WriteInput):
    report_threshold: Annotated[StrictInt, Field(ge=1, le=50)] | None = None
    vote_threshold: Annotated[StrictInt, Field(ge=50, le=100)] | None = None
    vote_hours: Annotated[StrictInt, Field(ge=1, le=720)] | None = None
