"""Socket commands of debate mode: validated frames -> the same services the HTTP API calls.

Question commands take the `debate:<room>` topic, floor commands the `floor:<room>` topic.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from debates import services
from debates.services.questions import ACTIONS, REASON_MAX
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id

Username = Annotated[StrictStr, Field(min_length=1, max_length=150)]


class Ask(WriteCommand):
    body: Annotated[StrictStr, Field(min_length=1, max_length=services.QUESTION_MAX)]
    anonymous: StrictBool = False


class Upvote(WriteCommand):
    question: StrictInt


class Moderate(WriteCommand):
    question: StrictInt
    action: Literal[ACTIONS]
    reason: Annotated[StrictStr, Field(max_length=REASON_MAX)] = ""
    into: StrictInt | None = None


class Floor(WriteCommand):
    pass


class FloorNext(WriteCommand):
    # The turn id the moderator sees (0: nobody speaks): a concurrent change answers `conflict`.
    current: Annotated[StrictInt, Field(ge=0)] | None = None


class LowerHand(WriteCommand):
    user: Username | None = None


class FloorGive(FloorNext):
    user: Username


class Configure(WriteCommand):
    premoderation: StrictBool | None = None
    turn_limit: Annotated[StrictInt, Field(ge=1, le=3600)] | None = None
    clear_turn_limit: StrictBool = False
    auto_end: StrictBool | None = None
    fairness: Literal["arrival", "not_spoken", "least_time"] | None = None


def _room(command: WriteCommand, prefix: str) -> int:
    return topic_object_id(command.topic, prefix)


def ask(*, user, command: Ask) -> dict:
    return services.question_ask(
        author=user, room_id=_room(command, "debate"), body=command.body, anonymous=command.anonymous, ref=command.ref
    )


def upvote(*, user, command: Upvote) -> dict:
    return services.question_upvote(
        user=user, room_id=_room(command, "debate"), question_id=command.question, ref=command.ref
    )


def unvote(*, user, command: Upvote) -> dict:
    return services.question_unvote(
        user=user, room_id=_room(command, "debate"), question_id=command.question, ref=command.ref
    )


def moderate(*, user, command: Moderate) -> dict:
    return services.question_moderate(
        user=user,
        room_id=_room(command, "debate"),
        question_id=command.question,
        action=command.action,
        reason=command.reason,
        into=command.into,
        ref=command.ref,
    )


def raise_hand(*, user, command: Floor) -> dict:
    return services.hand_raise(user=user, room_id=_room(command, "floor"), ref=command.ref)


def lower_hand(*, user, command: LowerHand) -> dict:
    return services.hand_lower(user=user, room_id=_room(command, "floor"), username=command.user, ref=command.ref)


def floor_next(*, user, command: FloorNext) -> dict:
    return services.floor_next(user=user, room_id=_room(command, "floor"), current=command.current, ref=command.ref)


def floor_give(*, user, command: FloorGive) -> dict:
    return services.floor_give(
        user=user, room_id=_room(command, "floor"), username=command.user, current=command.current, ref=command.ref
    )


def floor_end(*, user, command: Floor) -> dict:
    return services.floor_end(user=user, room_id=_room(command, "floor"), ref=command.ref)


def configure(*, user, command: Configure) -> dict:
    return services.debate_configure(
        user=user,
        room_id=_room(command, "floor"),
        premoderation=command.premoderation,
        turn_limit=command.turn_limit,
        clear_turn_limit=command.clear_turn_limit,
        auto_end=command.auto_end,
        fairness=command.fairness,
        ref=command.ref,
    )


COMMANDS = {
    "ask": (Ask, ask),
    "upvote": (Upvote, upvote),
    "unvote": (Upvote, unvote),
    "moderate": (Moderate, moderate),
    "raise_hand": (Floor, raise_hand),
    "lower_hand": (LowerHand, lower_hand),
    "floor_next": (FloorNext, floor_next),
    "floor_give": (FloorGive, floor_give),
    "floor_end": (Floor, floor_end),
    "debate_configure": (Configure, configure),
}
