"""Socket commands on proposal topics: validated frames -> the same services the HTTP API calls."""

from __future__ import annotations

from pydantic import StrictInt

from proposals import services
from proposals.inputs import AmendmentIn, CloseIn, ExtendIn, ReopenIn, ReviseIn, ScheduleIn, VoteIn
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id


class Vote(WriteCommand, VoteIn):
    """`vote` on the proposal, or on one of its amendments when `amendment` is given."""

    amendment: StrictInt | None = None


class Amend(WriteCommand, AmendmentIn):
    pass


def vote(*, user, command: Vote) -> dict:
    proposal_id = topic_object_id(command.topic, "proposal")
    if command.amendment is not None:
        return services.amendment_vote_cast(
            user=user, proposal_id=proposal_id, amendment_id=command.amendment, choice=command.choice, ref=command.ref
        )
    return services.vote_cast(user=user, proposal_id=proposal_id, ballot=command.ballot, ref=command.ref)


def amend(*, user, command: Amend) -> dict:
    return services.amendment_propose(
        author=user, proposal_id=topic_object_id(command.topic, "proposal"), body=command.body, ref=command.ref
    )


class Close(WriteCommand, CloseIn):
    pass


def close(*, user, command: Close) -> dict:
    return services.proposal_close_now(
        user=user, proposal_id=topic_object_id(command.topic, "proposal"), reason=command.reason, ref=command.ref
    )


class Extend(WriteCommand, ExtendIn):
    pass


def extend(*, user, command: Extend) -> dict:
    return services.proposal_extend(
        user=user,
        proposal_id=topic_object_id(command.topic, "proposal"),
        closes_at=command.closes_at,
        reason=command.reason,
        ref=command.ref,
    )


class Reopen(WriteCommand, ReopenIn):
    pass


def reopen(*, user, command: Reopen) -> dict:
    return services.proposal_reopen(
        user=user,
        proposal_id=topic_object_id(command.topic, "proposal"),
        closes_at=command.closes_at,
        reason=command.reason,
        ref=command.ref,
    )


class Revise(WriteCommand, ReviseIn):
    pass


def revise(*, user, command: Revise) -> dict:
    return services.proposal_revise(
        user=user,
        proposal_id=topic_object_id(command.topic, "proposal"),
        body=command.body,
        reason=command.reason,
        ref=command.ref,
    )


class Schedule(WriteCommand, ScheduleIn):
    pass


def schedule(*, user, command: Schedule) -> dict:
    return services.proposal_schedule(
        user=user,
        proposal_id=topic_object_id(command.topic, "proposal"),
        slot=command.slot,
        address=command.address,
        ref=command.ref,
    )


COMMANDS = {
    "vote": (Vote, vote),
    "amend": (Amend, amend),
    "close": (Close, close),
    "extend": (Extend, extend),
    "reopen": (Reopen, reopen),
    "schedule": (Schedule, schedule),
    "revise": (Revise, revise),
}
