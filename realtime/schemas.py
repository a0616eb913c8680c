"""Typed client commands. The consumer validates every frame into one of these before acting."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

Ref = Annotated[StrictStr, Field(min_length=1, max_length=64)]
TopicName = Annotated[StrictStr, Field(min_length=3, max_length=64)]


class Command(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: StrictStr
    ref: Ref | None = None


class Subscribe(Command):
    topic: TopicName
    since: Annotated[StrictInt, Field(ge=0)] | None = None


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
