"""What a client may send to write on proposals: one model per write, shared by the socket
commands (`commands.py`) and the HTTP API (`api.py`). Types and limits live here only; the
services keep the rules of proposals (where it belongs, who may vote, phases and dates)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr, model_validator

from discussions.inputs import TEXT_MAX
from realtime.schemas import WriteInput, ZonedDateTime, optional_text, text

TITLE_MAX = 200
BODY_MAX = 20_000
ARGUMENTS_MAX = 10_000
CHOICE_LABEL_MAX = 200
CHOICES_MIN, CHOICES_MAX = 2, 20
# An amendment is as long as a message may be.
AMENDMENT_MAX = TEXT_MAX
CHOICE_KEY_MAX = 64
QUORUM_SHARE = re.compile(r"^\s*(\d{1,3})\s*%\s*$")


def _choices_checked(labels: list[str]) -> list[str]:
    if not CHOICES_MIN <= len(labels) <= CHOICES_MAX:
        raise ValueError(f"choices must be a list of {CHOICES_MIN} to {CHOICES_MAX} labels")
    if len({label.casefold() for label in labels}) != len(labels):
        raise ValueError("choices must be distinct")
    return labels


def _quorum_checked(quorum: int | str) -> int | str:
    if isinstance(quorum, int):
        if quorum < 1:
            raise ValueError("quorum must be at least 1 vote")
        return quorum
    match = QUORUM_SHARE.match(quorum)
    if not (match and 1 <= int(match.group(1)) <= 100):
        raise ValueError('quorum is a number of votes (e.g. 20) or a share of eligible voters (e.g. "25%")')
    return quorum


Choices = Annotated[list[text(CHOICE_LABEL_MAX)], AfterValidator(_choices_checked)]
Quorum = Annotated[StrictInt | StrictStr, AfterValidator(_quorum_checked)]
Eligibility = Literal["signed_in", "members", "present", "residents"]


class ProposalIn(WriteInput):
    title: text(TITLE_MAX)
    body: text(BODY_MAX)
    arguments_for: optional_text(ARGUMENTS_MAX) = ""
    arguments_against: optional_text(ARGUMENTS_MAX) = ""
    room: StrictInt | None = None
    event: StrictInt | None = None
    commune: StrictStr | None = None
    choices: Choices | None = Field(
        None, description="2-20 labels for a multiple-choice ballot; omit for up/down/white/uncomplet"
    )
    majority: Annotated[StrictInt, Field(ge=50, le=100)] = Field(
        50, description="percent of `up` over all votes to exceed (50-100)"
    )
    quorum: Quorum | None = Field(None, description='a number of votes (20) or a share of eligible voters ("25%")')
    closes_at: ZonedDateTime | None = None
    amendable_until: ZonedDateTime | None = None
    eligibility: Eligibility = Field("signed_in", description="signed_in | members | present | residents")
    anonymous: StrictBool = False
    can_change: StrictBool = True
    hide_results: StrictBool = False

    @model_validator(mode="after")
    def _consistent(self):
        if self.room is not None and self.event is not None:
            raise ValueError("a proposal belongs to a room or an event, not both")
        if self.quorum_share is not None and self.eligibility == "signed_in":
            raise ValueError("a quorum share needs a known electorate (members, present or residents)")
        return self

    @property
    def quorum_votes(self) -> int | None:
        return self.quorum if isinstance(self.quorum, int) else None

    @property
    def quorum_share(self) -> int | None:
        return int(QUORUM_SHARE.match(self.quorum).group(1)) if isinstance(self.quorum, str) else None


class VoteIn(WriteInput):
    """`vote` on the proposal, or on one of its amendments (`amendment`, socket only; HTTP has its own route)."""

    choice: Annotated[StrictStr, Field(min_length=1, max_length=CHOICE_KEY_MAX)]


class AmendmentIn(WriteInput):
    body: text(AMENDMENT_MAX)
