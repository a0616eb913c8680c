"""Writes on outcomes and actions. Each publishes, in its transaction (so on commit only):

- `outcome.stated` on the proposal's topic;
- `action.created` / `action.updated` (the whole action) on the proposal's topic, its room's
  topic, and its commune's topic when anyone may read the proposal.

Lock order: the action row, then the topics in the order proposal, room, commune (a proposal's
own writes take proposal then commune, messages take only their room), so no two writers wait
on each other in a circle.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from communes.stream import commune_topic
from notifications.services import notify
from outcomes.inputs import ActionIn, ActionPatch
from outcomes.models import Action, Assignee, Outcome
from outcomes.selectors import action_as_dict, action_assigned, outcome_as_dict, proposal_public, proposal_steered_by
from proposals.models import Proposal
from proposals.selectors import proposal_check_readable, proposal_get_readable, proposal_title_shown
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.writes import user_write

STEERERS = "only the author, the room's moderators or the event's organisers"


def _decided(proposal_id: int, user) -> Proposal:
    """The proposal, readable by `user` and steered by them, whose vote has closed; its row is
    locked, so a reopening (which takes the same lock) cannot slip between the phase checked
    here and the outcome or action written (see `reopen_refuse_when_followed`)."""
    proposal = proposal_get_readable(proposal_id=proposal_id, user=user)
    if not proposal_steered_by(proposal=proposal, user=user):
        raise AppError("forbidden", f"{STEERERS} state the outcome and make actions")
    phase = Proposal.objects.select_for_update().values_list("phase", flat=True).get(id=proposal.id)
    if phase != Proposal.RESOLVED:
        raise AppError("conflict", f"the vote has not closed (phase {phase})")
    return proposal


def reopen_refuse_when_followed(*, proposal: Proposal, **_) -> None:
    """`proposal_reopening` receiver (under the proposal's row lock): a decision that already
    has an outcome statement or actions stands — reopening it would leave them about a result
    that no longer exists. `conflict`; the proposal is unchanged."""
    stated = Outcome.objects.filter(proposal_id=proposal.id).exists()
    actions = Action.objects.filter(proposal_id=proposal.id).count()
    if stated or actions:
        followed = " and ".join(
            part
            for part in ("an outcome was stated" if stated else "", f"{actions} action(s) made" if actions else "")
            if part
        )
        raise AppError("conflict", f"this decision is followed ({followed}): it cannot reopen")


def outcome_texts(*, proposal: Proposal, **_) -> list[str]:
    """`proposal_texts` receiver: the outcome statement and the actions' titles of a proposal
    being hidden or removed by its moderation vote (blanked from stored events with its own)."""
    texts = list(Outcome.objects.filter(proposal_id=proposal.id).values_list("statement", flat=True))
    return texts + list(Action.objects.filter(proposal_id=proposal.id).values_list("title", flat=True))


def outcomes_erase(*, proposal: Proposal, **_) -> None:
    """`proposal_removed` receiver: a proposal removed by a moderation vote keeps no outcome
    statement nor action title (the rows stay, so assignees' links and counts hold, textless)."""
    Outcome.objects.filter(proposal_id=proposal.id).update(statement="")
    Action.objects.filter(proposal_id=proposal.id).update(title="")


@user_write("outcome_state")
def outcome_state(*, user, proposal_id: int, statement: str, ref: str | None = None) -> dict:
    """State (or restate) what the closed proposal decided; publishes `outcome.stated`."""
    proposal = _decided(proposal_id, user)
    now = timezone.now()
    outcome, _ = Outcome.objects.update_or_create(
        proposal=proposal, defaults={"statement": statement, "author": user, "stated_at": now}
    )
    data = {"proposal": proposal.id, **outcome_as_dict(outcome)}
    topic_event_append(topic=proposal.topic, kind="outcome.stated", data=data)
    return data


def _users_named(names: list[str], proposal: Proposal) -> list:
    """The accounts named, each able to read the proposal; else `bad_request` naming them."""
    users = []
    unknown = []
    for name in names:
        user = get_user_model().objects.filter(username__iexact=name, is_active=True).first()
        try:
            if user is None:
                raise AppError("not_found", name)
            proposal_check_readable(proposal=proposal, user=user)
        except AppError:
            unknown.append(name)
            continue
        users.append(user)
    if unknown:
        raise AppError("bad_request", f"no one who may read this proposal is called: {', '.join(unknown)}")
    return users


def _assigned_notify(action: Action, people: list, *, by) -> None:
    """Tell the people just named on an action (not a volunteer: they chose it)."""
    notify(
        kind="action_assigned",
        recipients=[person.id for person in people],
        subject=action.proposal.topic,
        data={
            "title": action.title,
            "excerpt": proposal_title_shown(action.proposal),
            "url": f"/#/proposal/{action.proposal_id}",
        },
        exclude=by.id,
    )


def _status_notify(action: Action, *, by) -> None:
    """Tell those taking the action on and the proposal's author that its status moved (not the
    person who moved it). `action` names the new status, for clients to phrase it."""
    people = set(action.assignees.values_list("user_id", flat=True))
    if action.proposal.author_id is not None:
        people.add(action.proposal.author_id)
    notify(
        kind="action_updated",
        recipients=people,
        subject=action.proposal.topic,
        data={
            "title": action.title,
            "excerpt": proposal_title_shown(action.proposal),
            "actor": by.username,
            "action": action.status,
            "status": action.status,
            "url": f"/#/proposal/{action.proposal_id}",
        },
        exclude=by.id,
    )


def _publish(action: Action, kind: str) -> dict:
    proposal = action.proposal
    data = action_as_dict(action)
    topics = [proposal.topic]
    if proposal.room_id is not None:
        topics.append(proposal.room.topic)
    if proposal.commune_id and proposal_public(proposal):
        topics.append(commune_topic(proposal.commune_id))
    for topic in topics:
        topic_event_append(topic=topic, kind=kind, data=data)
    return data


@user_write("action_create")
def action_create(*, user, proposal_id: int, action: ActionIn, ref: str | None = None) -> dict:
    """A closed proposal's steerer makes an action, naming who takes it on; returns the action."""
    proposal = _decided(proposal_id, user)
    assignees = _users_named(action.assignees, proposal)
    row = Action.objects.create(proposal=proposal, title=action.title, due=action.due, created_by=user)
    Assignee.objects.bulk_create([Assignee(action=row, user=person) for person in assignees])
    _assigned_notify(row, assignees, by=user)
    return _publish(row, "action.created")


def _action_locked(action_id: int, user, proposal_id: int | None) -> Action:
    """The action, locked, if `user` may read its proposal (`not_found` otherwise, like a missing one)."""
    action = Action.objects.select_for_update().filter(id=action_id).first()
    if action is None or (proposal_id is not None and action.proposal_id != proposal_id):
        raise AppError("not_found", f"action {action_id} does not exist")
    try:
        proposal_check_readable(proposal=action.proposal, user=user)
    except AppError:
        raise AppError("not_found", f"action {action_id} does not exist") from None
    return action


@user_write("action_update")
def action_update(*, user, action_id: int, patch: ActionPatch, proposal_id: int | None = None, ref=None) -> dict:
    """Steerers change anything; assignees change the status only. Publishes `action.updated`;
    a status that moves is notified to the assignees and the proposal's author (`action_updated`)."""
    action = _action_locked(action_id, user, proposal_id)
    steers = proposal_steered_by(proposal=action.proposal, user=user)
    if not steers:
        only_status = patch.title is None and patch.due is None and not patch.clear_due and patch.assignees is None
        if not (action_assigned(action=action, user=user) and only_status):
            raise AppError("forbidden", f"{STEERERS} change an action; those taking it on change its status")
    if patch.title is not None:
        action.title = patch.title
    status_moved = patch.status is not None and patch.status != action.status
    if status_moved:
        action.status = patch.status
    if patch.due is not None or patch.clear_due:
        action.due = patch.due
    if patch.assignees is not None:
        wanted = _users_named(patch.assignees, action.proposal)
        action.assignees.exclude(user__in=wanted).delete()
        present = set(action.assignees.values_list("user_id", flat=True))
        added = [u for u in wanted if u.id not in present]
        Assignee.objects.bulk_create([Assignee(action=action, user=u) for u in added])
        _assigned_notify(action, added, by=user)
    action.version += 1
    action.save()
    if status_moved:
        _status_notify(action, by=user)
    return _publish(action, "action.updated")


@user_write("action_volunteer")
def action_volunteer(
    *, user, action_id: int, withdraw: bool = False, proposal_id: int | None = None, ref: str | None = None
) -> dict:
    """Anyone who may read the proposal takes the action on (or withdraws); `conflict` when
    that changes nothing. Publishes `action.updated`."""
    action = _action_locked(action_id, user, proposal_id)
    if withdraw:
        if not action.assignees.filter(user=user).delete()[0]:
            raise AppError("conflict", "you had not taken this action on")
    else:
        if action.status == Action.DONE:
            raise AppError("conflict", "this action is done")
        if action_assigned(action=action, user=user):
            raise AppError("conflict", "you already take this action on")
        Assignee.objects.create(action=action, user=user, volunteered=True)
    action.version += 1
    action.save(update_fields=["version", "updated_at"])
    return _publish(action, "action.updated")


def user_outcomes_erase(*, user) -> None:
    """Account erasure (settings.ACCOUNT_ERASERS): the person's name leaves every action they
    took on; outcomes and actions they wrote stay, written by nobody. In the caller's transaction."""
    Assignee.objects.filter(user=user).delete()
    Outcome.objects.filter(author=user).update(author=None)
    Action.objects.filter(created_by=user).update(created_by=None)
