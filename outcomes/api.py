"""HTTP side of outcomes and actions: the same services as the socket commands."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accounts.api import request_user
from outcomes import selectors, services
from outcomes.inputs import ActionIn, ActionPatch, OutcomeIn, VolunteerIn
from proposals.selectors import proposal_get_readable
from realtime.errors import AppError

router = Router(tags=["outcomes"])
actions_router = Router(tags=["outcomes"])


class AssigneeOut(Schema):
    user: str
    volunteered: bool


class ActionOut(Schema):
    id: int
    proposal: int
    proposal_title: str
    title: str
    status: str
    due: str | None
    assignees: list[AssigneeOut]
    version: int


class OutcomeStatement(Schema):
    statement: str
    author: str
    stated_at: str


class OutcomeOut(Schema):
    proposal: int
    phase: str
    result: str | None
    outcome: OutcomeStatement | None
    actions: list[ActionOut]
    may_steer: bool


class ActionList(Schema):
    items: list[ActionOut]


@router.get("/{proposal_id}", response=OutcomeOut, summary="A proposal's outcome statement and actions")
def outcome_detail(request: HttpRequest, proposal_id: int):
    user = request_user(request)
    proposal = proposal_get_readable(proposal_id=proposal_id, user=user)
    actions = selectors.actions_list(user=user, proposal=proposal.id)
    return {
        "proposal": proposal.id,
        "phase": proposal.phase,
        "result": proposal.result or None,
        "outcome": selectors.outcome_as_dict(selectors.outcome_of(proposal)),
        "actions": [selectors.action_as_dict(action) for action in actions],
        "may_steer": selectors.proposal_steered_by(proposal=proposal, user=user),
    }


@router.put("/{proposal_id}", response=OutcomeStatement, summary="State what the closed vote decided")
def outcome_state(request: HttpRequest, proposal_id: int, payload: OutcomeIn):
    result = services.outcome_state(
        user=request_user(request), proposal_id=proposal_id, statement=payload.statement, ref=payload.ref
    )
    return {key: result[key] for key in ("statement", "author", "stated_at")}


@actions_router.get("", response=ActionList, summary="Actions of one proposal, room or commune you may read")
def action_list(
    request: HttpRequest,
    proposal: int | None = None,
    room: int | None = None,
    commune: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
):
    if not 1 <= limit <= selectors.LIST_MAX or offset < 0:
        raise AppError("bad_request", f"limit must be 1-{selectors.LIST_MAX} and offset >= 0")
    actions = selectors.actions_list(
        user=request_user(request), proposal=proposal, room=room, commune=commune, status=status
    )
    return {"items": [selectors.action_as_dict(action) for action in actions[offset : offset + limit]]}


class ActionCreateIn(ActionIn):
    proposal: int


@actions_router.post("", response={201: ActionOut}, summary="Make an action from a closed proposal")
def action_create(request: HttpRequest, payload: ActionCreateIn):
    return 201, services.action_create(
        user=request_user(request), proposal_id=payload.proposal, action=payload, ref=payload.ref
    )


@actions_router.patch("/{action_id}", response=ActionOut, summary="Change an action (status, title, due, assignees)")
def action_update(request: HttpRequest, action_id: int, payload: ActionPatch):
    return services.action_update(user=request_user(request), action_id=action_id, patch=payload, ref=payload.ref)


@actions_router.post("/{action_id}/volunteer", response=ActionOut, summary="Take an action on, or withdraw")
def action_volunteer(request: HttpRequest, action_id: int, payload: VolunteerIn):
    return services.action_volunteer(
        user=request_user(request), action_id=action_id, withdraw=payload.withdraw, ref=payload.ref
    )
