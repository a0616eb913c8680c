"""Socket commands of co-moderation: `report` on the item's own topic, `sanction` on the room's."""

from __future__ import annotations

from pydantic import StrictInt

from moderation import services
from moderation.inputs import Reason, SanctionIn
from realtime.errors import AppError
from realtime.schemas import WriteCommand
from realtime.topics import topic_parse

# The item a topic holds: messages live on `room:<id>`, questions on `debate:<room>`, a
# proposal on its own `proposal:<id>` (its id is the `item`).
KIND_OF_TOPIC = {"room": "message", "debate": "question", "proposal": "proposal"}


class Report(WriteCommand):
    item: StrictInt
    reason: Reason


class Sanction(WriteCommand, SanctionIn):
    pass


def report(*, user, command: Report) -> dict:
    kind, _ = topic_parse(command.topic)
    if kind.prefix not in KIND_OF_TOPIC:
        raise AppError(
            "bad_request",
            "report a message on its room:<id> topic, a question on debate:<room>, a proposal on proposal:<id>",
        )
    return services.item_report(
        user=user, kind=KIND_OF_TOPIC[kind.prefix], item_id=command.item, reason=command.reason, ref=command.ref
    )


def sanction(*, user, command: Sanction) -> dict:
    kind, room_id = topic_parse(command.topic)
    if kind.prefix != "room":
        raise AppError("bad_request", "this command needs a room topic")
    return services.member_sanction(
        user=user,
        room_id=room_id,
        username=command.user,
        kind=command.kind,
        reason=command.reason,
        lift=command.lift,
        ref=command.ref,
    )


COMMANDS = {"report": (Report, report), "sanction": (Sanction, sanction)}
