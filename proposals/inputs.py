"""What a client may send to write on proposals: one model per write, shared by the socket
commands (`commands.py`) and the HTTP API (`api.py`). Types and limits live here only; the
services keep the rules of proposals (where it belongs, who may vote, phases and dates)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr, model_validator

from accounts.tags import Tags
from discussions.inputs import TEXT_MAX
from realtime.schemas import Input, WriteInput, ZonedDateTime, optional_text, text

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
Kind = Literal["vote", "consent", "approval", "ranked", "score", "dot", "meeting"]
OptionKey = Annotated[StrictStr, Field(min_length=1, max_length=CHOICE_KEY_MAX)]
REASON_MAX = 1000
POINTS_MAX = 1000
SCALE_LOW, SCALE_HIGH = 0, 10
SLOT_MAX_HOURS = 24


class SlotIn(Input):
    """One meeting-time option: a time slot."""

    starts_at: ZonedDateTime
    ends_at: ZonedDateTime

    @model_validator(mode="after")
    def _ordered(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("a slot ends after it starts")
        if (self.ends_at - self.starts_at).total_seconds() > SLOT_MAX_HOURS * 3600:
            raise ValueError(f"a slot lasts at most {SLOT_MAX_HOURS} hours")
        return self


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
    tags: Tags = []
    kind: Kind = Field(
        "vote",
        description="vote (majority, or plurality with `choices`) | consent | approval | ranked | score | dot | meeting",
    )
    min_choices: Annotated[StrictInt, Field(ge=0, le=CHOICES_MAX)] | None = Field(
        None, description="approval / meeting: fewest options a ballot chooses (default 1)"
    )
    max_choices: Annotated[StrictInt, Field(ge=1, le=CHOICES_MAX)] | None = Field(
        None, description="approval / meeting: most options a ballot chooses (default all)"
    )
    scale_min: Annotated[StrictInt, Field(ge=SCALE_LOW, le=SCALE_HIGH)] | None = Field(
        None, description="score: lowest score (default 0)"
    )
    scale_max: Annotated[StrictInt, Field(ge=SCALE_LOW, le=SCALE_HIGH)] | None = Field(
        None, description="score: highest score (default 5)"
    )
    points: Annotated[StrictInt, Field(ge=1, le=POINTS_MAX)] | None = Field(
        None, description="dot vote: points each voter distributes (default 10)"
    )
    slots: list[SlotIn] | None = Field(None, description="meeting: 2-20 time slots, the options")

    @model_validator(mode="after")
    def _consistent(self):
        if self.room is not None and self.event is not None:
            raise ValueError("a proposal belongs to a room or an event, not both")
        self._kind_consistent()
        if self.quorum_share is not None and self.eligibility == "signed_in":
            raise ValueError("a quorum share needs a known electorate (members, present or residents)")
        return self

    def _kind_consistent(self) -> None:
        needs_choices = self.kind in ("approval", "ranked", "score", "dot")
        if needs_choices and self.choices is None:
            raise ValueError(f"a {self.kind} ballot needs `choices`")
        if self.kind in ("consent", "meeting") and self.choices is not None:
            raise ValueError(f"a {self.kind} ballot has its own options: no `choices`")
        if (self.kind == "meeting") != (self.slots is not None):
            raise ValueError("`slots` (2 to 20) are the options of a meeting ballot, and only of it")
        if self.slots is not None and not CHOICES_MIN <= len(self.slots) <= CHOICES_MAX:
            raise ValueError(f"a meeting ballot has {CHOICES_MIN} to {CHOICES_MAX} slots")
        if self.slots is not None and len({(s.starts_at, s.ends_at) for s in self.slots}) != len(self.slots):
            raise ValueError("slots must be distinct")
        fields = {
            "min_choices": ("approval", "meeting"),
            "max_choices": ("approval", "meeting"),
            "scale_min": ("score",),
            "scale_max": ("score",),
            "points": ("dot",),
        }
        for field, kinds in fields.items():
            if getattr(self, field) is not None and self.kind not in kinds:
                raise ValueError(f"`{field}` belongs to a {' or '.join(kinds)} ballot")
        options = len(self.slots or self.choices or [])
        low, high = self.min_choices, self.max_choices
        if low is not None and low > options or high is not None and high > options:
            raise ValueError(f"min_choices and max_choices cannot exceed the {options} options")
        if low is not None and high is not None and low > high:
            raise ValueError("min_choices cannot exceed max_choices")
        if self.scale_min is not None and self.scale_max is not None and self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")

    @property
    def quorum_votes(self) -> int | None:
        return self.quorum if isinstance(self.quorum, int) else None

    @property
    def quorum_share(self) -> int | None:
        return int(QUORUM_SHARE.match(self.quorum).group(1)) if isinstance(self.quorum, str) else None


class VoteIn(WriteInput):
    """`vote` on the proposal, or on one of its amendments (`amendment`, socket only; HTTP has its own route)."""

    choice: OptionKey | None = Field(None, description="vote, consent: the option key")
    reason: optional_text(REASON_MAX) | None = Field(None, description="consent: why (required with `block`)")
    choices: Annotated[list[OptionKey], Field(max_length=CHOICES_MAX)] | None = Field(
        None, description="approval, meeting: the options chosen"
    )
    ranking: Annotated[list[OptionKey], Field(max_length=CHOICES_MAX)] | None = Field(
        None, description="ranked: option keys, first preference first"
    )
    scores: Annotated[dict[OptionKey, StrictInt], Field(max_length=CHOICES_MAX)] | None = Field(
        None, description="score: {option key: score} for every option"
    )
    points: Annotated[dict[OptionKey, StrictInt], Field(max_length=CHOICES_MAX)] | None = Field(
        None, description="dot: {option key: points}, within the budget"
    )

    @property
    def ballot(self) -> dict:
        """What the ballot says, as proposals.counting.ballot_checked reads it."""
        fields = ("choice", "reason", "choices", "ranking", "scores", "points")
        return {field: getattr(self, field) for field in fields}


class AmendmentIn(WriteInput):
    body: text(AMENDMENT_MAX)


class CloseIn(WriteInput):
    """Close the vote now: why, optionally (shown with the result)."""

    reason: optional_text(REASON_MAX) = ""


class ExtendIn(WriteInput):
    """Give the vote more time: a later `closes_at`, and why."""

    closes_at: ZonedDateTime
    reason: text(REASON_MAX)


class ReopenIn(WriteInput):
    """Open a closed vote again until `closes_at`, and why."""

    closes_at: ZonedDateTime
    reason: text(REASON_MAX)


class ScheduleIn(WriteInput):
    """Meeting time: turn a slot (by default the winning one) into an event."""

    slot: OptionKey | None = None
    address: optional_text(300) = ""


class ReviseIn(WriteInput):
    """Consent: the author's new text, and why; standing blocks are lifted."""

    body: text(BODY_MAX)
    reason: text(REASON_MAX)
