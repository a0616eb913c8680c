"""Socket commands on proposal topics for outcomes and actions: the same services as the HTTP API."""

from __future__ import annotations

from pydantic import StrictInt

from outcomes import services
from outcomes.inputs import ActionIn, ActionPatch, OutcomeIn, VolunteerIn
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id


class OutcomeState(WriteCommand, OutcomeIn):
    pass


class ActionCreate(WriteCommand, ActionIn):
    pass


class ActionUpdate(WriteCommand, ActionPatch):
    action: StrictInt


class ActionVolunteer(WriteCommand, VolunteerIn):
    action: StrictInt


def outcome_state(*, user, command: OutcomeState) -> dict:
    proposal_id = topic_object_id(command.topic, "proposal")
    return services.outcome_state(user=user, proposal_id=proposal_id, statement=command.statement, ref=command.ref)


def action_create(*, user, command: ActionCreate) -> dict:
    proposal_id = topic_object_id(command.topic, "proposal")
    return services.action_create(user=user, proposal_id=proposal_id, action=command, ref=command.ref)


def action_update(*, user, command: ActionUpdate) -> dict:
    proposal_id = topic_object_id(command.topic, "proposal")
    return services.action_update(
        user=user, action_id=command.action, patch=command, proposal_id=proposal_id, ref=command.ref
    )


def action_volunteer(*, user, command: ActionVolunteer) -> dict:
    proposal_id = topic_object_id(command.topic, "proposal")
    return services.action_volunteer(
        user=user, action_id=command.action, withdraw=command.withdraw, proposal_id=proposal_id, ref=command.ref
    )


COMMANDS = {
    "outcome_state": (OutcomeState, outcome_state),
    "action_create": (ActionCreate, action_create),
    "action_update": (ActionUpdate, action_update),
    "action_volunteer": (ActionVolunteer, action_volunteer),
}
