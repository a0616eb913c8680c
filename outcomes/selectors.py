"""Reads on outcomes and actions: who steers a decision, the lists shown on a proposal, a room
and a commune (only what the reader may read)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.selectors import DELETED_USER
from discussions.models import Room
from discussions.selectors import room_get_readable, room_moderated_by
from events.selectors import event_get_visible, event_is_organiser
from outcomes.models import Action, Assignee, Outcome
from proposals.models import Proposal
from proposals.selectors import proposal_list, proposal_title_shown
from realtime.auth import signed_in
from realtime.errors import AppError

LIST_MAX = 200


def proposal_steered_by(*, proposal: Proposal, user) -> bool:
    """Who states the outcome and makes actions: the author, staff, the room's owners and
    moderators, the event's organisers (those who may close the vote)."""
    if not signed_in(user):
        return False
    if proposal.author_id == user.id or user.is_staff:
        return True
    if proposal.room_id is not None and room_moderated_by(room=proposal.room, user=user):
        return True
    if proposal.event_id is None:
        return False
    return event_is_organiser(event=event_get_visible(event_id=proposal.event_id, user=user), user=user)


def proposal_public(proposal: Proposal) -> bool:
    """Readable by anyone (the commune's topic is): not in a private room nor an invite-only event,
    not a vote among named electors."""
    if proposal.eligibility == Proposal.ELECTORS:
        return False
    room_public = proposal.room is None or proposal.room.visibility == Room.PUBLIC
    return room_public and (proposal.event is None or not proposal.event.invite_only)


def action_as_dict(action: Action) -> dict:
    """The whole action, as every event and list carries it."""
    return {
        "id": action.id,
        "proposal": action.proposal_id,
        "proposal_title": proposal_title_shown(action.proposal),  # none while hidden by reports
        "title": action.title,
        "status": action.status,
        "due": action.due.isoformat() if action.due else None,
        "assignees": [
            {"user": a.user.username, "volunteered": a.volunteered} for a in action.assignees.select_related("user")
        ],
        "version": action.version,
    }


def outcome_as_dict(outcome: Outcome | None) -> dict | None:
    if outcome is None:
        return None
    return {
        "statement": outcome.statement,
        "author": outcome.author.username if outcome.author else DELETED_USER,
        "stated_at": outcome.stated_at.isoformat(),
    }


def outcome_of(proposal: Proposal) -> Outcome | None:
    return Outcome.objects.filter(proposal=proposal).select_related("author").first()


def actions_list(
    *, user, proposal: int | None = None, room: int | None = None, commune: str | None = None, status: str | None = None
) -> QuerySet[Action]:
    """Actions of the proposals `user` may read, narrowed to one proposal, room or commune."""
    if proposal is None and room is None and commune is None:
        raise AppError("bad_request", "give proposal, room or commune")
    if room is not None:
        room_get_readable(room_id=room, user=user)
    readable = proposal_list(user=user, commune=commune, room=room).values("id")
    actions = Action.objects.filter(proposal_id__in=readable)
    if proposal is not None:
        actions = actions.filter(proposal_id=proposal)
    if status is not None:
        if status not in dict(Action.STATUSES):
            raise AppError("bad_request", "status must be todo, doing or done")
        actions = actions.filter(status=status)
    return actions.select_related("proposal").order_by("id")


def action_assigned(*, action: Action, user) -> bool:
    return signed_in(user) and Assignee.objects.filter(action=action, user=user).exists()
