"""Typed client input. The consumer validates every frame into one of these before acting, and
the apps' input models (`<app>/inputs.py`, shared by their socket commands and HTTP API) build
on the field types here, so a type or a limit is written once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    WrapValidator,
)

from realtime.errors import AppError

Ref = Annotated[StrictStr, Field(min_length=1, max_length=64)]
TopicName = Annotated[StrictStr, Field(min_length=3, max_length=64)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def text(max_length: int, *, strip: bool = True) -> object:
    """A required string of at most `max_length` characters that is not only spaces;
    `strip` trims it first (titles, names), else it is kept as typed (message bodies)."""
    return Annotated[
        StrictStr, StringConstraints(strip_whitespace=strip, max_length=max_length), AfterValidator(_not_blank)
    ]


def optional_text(max_length: int) -> object:
    """A string of at most `max_length` characters, possibly empty, trimmed."""
    return Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=max_length)]


def _date_time(value, handler) -> datetime:
    try:
        return handler(value)
    except ValidationError:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-12-01T18:00:00+04:00") from None


def _zoned(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone (e.g. 2026-12-01T18:00:00+04:00)")
    return value


# An ISO 8601 date-time; naive ones are allowed (the service says in which zone they are read).
DateTime = Annotated[datetime, WrapValidator(_date_time)]
# An ISO 8601 date-time with its offset.
ZonedDateTime = Annotated[datetime, WrapValidator(_date_time), AfterValidator(_zoned)]


class Input(BaseModel):
    """Base of the apps' input models: unknown fields are ignored, as on the wire."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class WriteInput(Input):
    """A write's input over HTTP: `ref`, when given, makes a resend harmless."""

    ref: Ref | None = None


class EventData(BaseModel):
    """Base of the outbound event schemas (`<app>/event_schemas.py`): the `data` of an `event`
    frame of one `kind`, exactly (no missing, extra or mistyped field)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Command(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: StrictStr
    ref: Ref | None = None


class Subscribe(Command):
    topic: TopicName
    since: Annotated[StrictInt, Field(ge=0)] | None = None
    # The client rebuilds `state` frames sent as deltas (PROTOCOL.md, "State deltas").
    deltas: StrictBool = False


class Unsubscribe(Command):
    topic: TopicName


class Typing(Command):
    topic: TopicName


class Ping(Command):
    pass


class WriteCommand(Command):
    """A write: `ref` is required and is the idempotency key."""

    ref: Ref
    topic: TopicName


def problems_text(errors: list[dict], *, whole: str = "frame") -> str:
    """pydantic's errors as one line: `field: message; …` (at most five)."""
    return "; ".join(f"{'.'.join(str(p) for p in error['loc']) or whole}: {error['msg']}" for error in errors[:5])


M = TypeVar("M", bound=BaseModel)


def input_parse(model: type[M], data: dict, *, whole: str = "frame") -> M:
    """`data` validated into `model`, or AppError(bad_request) naming the fields at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise AppError("bad_request", problems_text(exc.errors(), whole=whole)) from None
