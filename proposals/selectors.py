"""Reads on proposals: who may read, who may vote, the tally snapshot, one's own vote."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from discussions.selectors import (
    room_get_readable,
    room_get_readable_batched,
    room_is_member,
    room_member_count,
    room_member_ids,
    room_moderated_by,
    room_readable_filter,
)
from events.selectors import (
    event_checked_in,
    event_checked_in_count,
    event_checked_in_ids,
    event_get_visible,
    event_is_organiser,
    event_visible_ids,
)
from proposals import counting, tally
from proposals.ballots import secret_ballot_of, secret_choice_of
from proposals.electorate import elector_is, electorate_fixed, electorate_summary
from proposals.models import Amendment, AmendmentVote, Proposal, SecretBallot, SecretVoter, Vote
from realtime.auth import signed_in
from realtime.errors import AppError

# --- reading proposals ---------------------------------------------------------------------


def proposal_check_readable(*, proposal: Proposal, user, room_read_batched: bool = False) -> None:
    """A proposal is as readable as its room or event; commune-wide ones are public. A vote
    among named electors (moderation) is readable by them and staff only: `not_found` to others.
    A proposal hidden by reports (or removed by its room's moderation vote) is read only by the
    room's moderators, the event's organisers and staff — its author included, everyone else
    gets `not_found`, worded as for a proposal that does not exist."""
    if proposal.eligibility == Proposal.ELECTORS:
        if not (signed_in(user) and (user.is_staff or elector_is(proposal, user))):
            raise AppError("not_found", f"proposal {proposal.id} does not exist")
    if proposal.hidden_at is not None and not proposal_moderated_by(proposal=proposal, user=user):
        raise AppError("not_found", f"proposal {proposal.id} does not exist")
    if proposal.room_id is not None:
        try:
            if room_read_batched:  # a vote: its batch reads the room once
                room_get_readable_batched(room_id=proposal.room_id, user=user)
            else:
                room_get_readable(room_id=proposal.room_id, user=user)
        except AppError as exc:
            if exc.code == "not_found":
                raise AppError("not_found", f"proposal {proposal.id} does not exist") from None
            raise
    elif proposal.event_id is not None:
        event_get_visible(event_id=proposal.event_id, user=user)


def proposal_moderated_by(*, proposal: Proposal, user) -> bool:
    """Staff, the owners and moderators of the proposal's room, the organisers of its event."""
    if not signed_in(user):
        return False
    if user.is_staff:
        return True
    if proposal.room_id is not None and room_moderated_by(room=proposal.room, user=user):
        return True
    return proposal.event_id is not None and event_is_organiser(event=proposal.event, user=user)


def proposal_by_id(proposal_id: int) -> Proposal | None:
    """The proposal whatever its state (co-moderation reads a hidden one's text for its judges)."""
    return Proposal.objects.filter(id=proposal_id).select_related("author").first()


def proposal_title_shown(proposal: Proposal) -> str:
    """The title as it may go into a new event or notification: none while hidden or removed."""
    return "" if proposal.hidden_at is not None else proposal.title


def proposal_get_readable(*, proposal_id: int, user) -> Proposal:
    proposal = Proposal.objects.filter(id=proposal_id).first()
    if proposal is None:
        raise AppError("not_found", f"proposal {proposal_id} does not exist")
    proposal_check_readable(proposal=proposal, user=user)
    return proposal


def proposal_list(
    *,
    user,
    commune: str | None = None,
    room: int | None = None,
    event: int | None = None,
    phase: str | None = None,
    result: str | None = None,
) -> QuerySet[Proposal]:
    """Proposals `user` may read: public rooms, rooms they belong to, events and communes."""
    proposals = Proposal.objects.filter(Q(room__isnull=True) | room_readable_filter(user, "room__")).distinct()
    # Votes among named electors and hidden proposals are in no list (nor search), for anyone.
    proposals = proposals.exclude(eligibility=Proposal.ELECTORS).filter(hidden_at__isnull=True)
    proposals = proposals.filter(Q(event__isnull=True) | Q(event_id__in=event_visible_ids(user)))
    if commune:
        proposals = proposals.filter(commune_id=commune)
    if room is not None:
        proposals = proposals.filter(room_id=room)
    if event is not None:
        proposals = proposals.filter(event_id=event)
    if phase:
        if phase not in dict(Proposal.PHASES):
            raise AppError("bad_request", f"phase must be one of {', '.join(dict(Proposal.PHASES))}")
        proposals = proposals.filter(phase=phase)
    if result:
        if result not in (Proposal.ADOPTED, Proposal.REFUSED):
            raise AppError("bad_request", "result must be adopted or refused")
        # A result exists only once the vote closed; hidden results are hidden until then.
        proposals = proposals.filter(result=result, closed_at__isnull=False).order_by("-closed_at", "-id")
    return proposals


# --- who may vote ----------------------------------------------------------------------------


def user_eligible(*, proposal: Proposal, user) -> bool:
    if not signed_in(user):
        return False
    if proposal.eligibility == Proposal.SIGNED_IN:
        return True
    if electorate_fixed(proposal):
        return elector_is(proposal, user)
    if proposal.eligibility == Proposal.MEMBERS:
        return room_is_member(room_id=proposal.room_id, user=user)
    if proposal.eligibility == Proposal.PRESENT:
        return event_checked_in(event_id=proposal.event_id, user=user)
    if proposal.eligibility == Proposal.RESIDENTS:
        return proposal.commune_id is not None and user.home_commune_id == proposal.commune_id
    return False


ELIGIBILITY_REFUSALS = {
    Proposal.MEMBERS: "only members of the room may vote on this proposal",
    Proposal.PRESENT: "only attendees checked in at the event may vote on this proposal",
    Proposal.RESIDENTS: "only residents of the commune may vote on this proposal",
}


def user_eligible_check(*, proposal: Proposal, user) -> None:
    if not signed_in(user):
        raise AppError("auth_required", "sign in to vote")
    if not user_eligible(proposal=proposal, user=user):
        if electorate_fixed(proposal):
            rule = electorate_summary(proposal)["text"]
            raise AppError("forbidden", f"the electorate was fixed when the vote opened: {rule}")
        raise AppError("forbidden", ELIGIBILITY_REFUSALS.get(proposal.eligibility, "you may not vote on this proposal"))


def proposal_undecided_ids(proposal: Proposal) -> list[int] | None:
    """Who may vote and has not (for reopening's reminder); None when anyone signed in may vote
    (the undecided are then everyone)."""
    if electorate_fixed(proposal):
        people = proposal.electors.values_list("user_id", flat=True)
    elif proposal.eligibility == Proposal.MEMBERS:
        people = room_member_ids(proposal.room_id)
    elif proposal.eligibility == Proposal.PRESENT:
        people = event_checked_in_ids(proposal.event_id)
    elif proposal.eligibility == Proposal.RESIDENTS:
        people = get_user_model().objects.filter(home_commune_id=proposal.commune_id, is_active=True)
        people = people.values_list("id", flat=True)
    else:
        return None
    if proposal.anonymous:
        voted = SecretVoter.objects.filter(proposal=proposal, amendment__isnull=True).values_list("voter_id", flat=True)
    else:
        voted = Vote.objects.filter(proposal=proposal).values_list("voter_id", flat=True)
    return sorted(set(people) - set(voted))


def eligible_count(proposal: Proposal) -> int | None:
    """How many people may vote; None when unknown (any signed-in user may)."""
    if electorate_fixed(proposal):
        return proposal.electorate_size
    if proposal.eligibility == Proposal.MEMBERS:
        return room_member_count(proposal.room_id)
    if proposal.eligibility == Proposal.PRESENT:
        return event_checked_in_count(proposal.event_id)
    if proposal.eligibility == Proposal.RESIDENTS:
        return get_user_model().objects.filter(home_commune_id=proposal.commune_id, is_active=True).count()
    return None


# --- tallies and one's own vote -------------------------------------------------------------


def results_hidden(proposal: Proposal) -> bool:
    """Hidden results stay hidden until the vote is closed (an archive before closing keeps them hidden)."""
    return proposal.hide_results and proposal.closed_at is None


def proposal_ballots(proposal: Proposal) -> list[dict]:
    """Every stored ballot on the proposal itself (public or secret), canonical
    (proposals.counting), in no meaningful order: what a recount counts."""
    if proposal.anonymous:
        rows = SecretBallot.objects.filter(proposal=proposal, amendment__isnull=True).values_list("choice", "ballot")
    else:
        rows = Vote.objects.filter(proposal=proposal).values_list("choice", "ballot")
    return [ballot if ballot is not None else {"choice": choice} for choice, ballot in rows]


def proposal_outcome_provisional(proposal: Proposal, eligible: int | None, *, final: bool = False) -> dict | None:
    """The result the counts give now (`final`: at closing, with ranked choice's rounds); None
    for ranked choice while the vote runs (its rounds are counted once, at closing)."""
    if proposal.kind != counting.VOTE:
        if proposal.kind == counting.RANKED and not final:
            return None
        return counting.outcome_of(
            counting.rules_of(proposal),
            counts=proposal.counts,
            total=proposal.total,
            quorum_votes=proposal.quorum_votes,
            quorum_share=proposal.quorum_share,
            eligible=eligible,
            ballots=proposal_ballots(proposal) if final and proposal.kind == counting.RANKED else None,
        )
    return tally.outcome_compute(
        keys=proposal.option_keys,
        counts=proposal.counts,
        multiple_choice=proposal.multiple_choice,
        majority=proposal.majority,
        quorum_votes=proposal.quorum_votes,
        quorum_share=proposal.quorum_share,
        eligible=eligible,
    )


def proposal_tally(proposal: Proposal) -> dict:
    """The `tally` state: counts of every option (None while hidden), total, eligible, turnout,
    the result (provisional until `final`), and the row's `state_version`."""
    closed = proposal.closed_at is not None and proposal.outcome is not None
    eligible = proposal.outcome.get("eligible") if closed else eligible_count(proposal)
    hidden = results_hidden(proposal)
    data: dict = {
        "phase": proposal.phase,
        "counts": None if hidden else tally.counts_complete(proposal.option_keys, proposal.counts),
        "total": proposal.total,
        "eligible": eligible,
        "turnout": tally.turnout(proposal.total, eligible),
        "hidden": hidden,
        "final": closed,
        "result": None,
        "version": proposal.state_version,
        "closes_at": proposal.closes_at.isoformat(),
        "spawned_event": proposal.spawned_event_id,
        "electorate": electorate_summary(proposal),
    }
    if closed:
        data["result"] = {
            k: v for k, v in proposal.outcome.items() if k not in ("counts", "total", "eligible", "turnout")
        }
    elif not hidden and proposal.phase == Proposal.TOVOTE:
        data["result"] = proposal_outcome_provisional(proposal, eligible)
    data["kind"] = proposal.kind
    data.update(_kind_tally(proposal, hidden))
    if proposal.phase == Proposal.AMENDABLE:
        keys = [option["key"] for option in tally.AMENDMENT_OPTIONS]
        data["amendments"] = [
            {
                "id": amendment.id,
                "status": amendment.status,
                "counts": None if hidden else tally.counts_complete(keys, amendment.counts),
                "total": amendment.total,
            }
            for amendment in proposal.amendments.all()
        ]
    return data


def _kind_tally(proposal: Proposal, hidden: bool) -> dict:
    """What each ballot kind adds to the `tally` state (None while results are hidden)."""
    kind = proposal.kind
    if kind == counting.SCORE:
        rules = counting.rules_of(proposal)
        return {
            "scale": [proposal.scale_min, proposal.scale_max],
            "averages": None if hidden else counting.averages(rules, proposal.counts, proposal.total),
            "distribution": None if hidden else (proposal.detail or {}).get("distribution"),
        }
    if kind == counting.DOT:
        return {"points": proposal.points_budget, "points_cast": None if hidden else proposal.points_cast}
    if kind in (counting.APPROVAL, counting.MEETING):
        return {"min_choices": proposal.min_choices, "max_choices": proposal.max_choices}
    if kind == counting.CONSENT:
        return {"blocks": None if hidden else consent_blocks(proposal)}
    return {}


def consent_blocks(proposal: Proposal) -> list[dict]:
    """The standing blocks and their reasons: with the blocker's name on a public ballot, the
    reasons alone (in text order) on a secret one."""
    if proposal.anonymous:
        reasons = SecretBallot.objects.filter(proposal=proposal, amendment__isnull=True, choice="block")
        return [{"reason": ballot["reason"]} for ballot in sorted(reasons.values_list("ballot", flat=True), key=str)]
    votes = Vote.objects.filter(proposal=proposal, choice="block").select_related("voter").order_by("voter__username")
    return [{"reason": vote.ballot["reason"], "voter": vote.voter.username} for vote in votes]


def proposal_tally_by_id(proposal_id: int) -> dict | None:
    proposal = Proposal.objects.filter(id=proposal_id).first()
    return None if proposal is None else proposal_tally(proposal)


def vote_ballot_of(*, proposal: Proposal, user) -> dict | None:
    """`user`'s own whole ballot (proposals.counting's shape), under the same rules as vote_choice_of."""
    if not signed_in(user):
        return None
    if proposal.anonymous:
        return secret_ballot_of(proposal=proposal, user=user)
    row = Vote.objects.filter(proposal=proposal, voter=user).values_list("choice", "ballot").first()
    if row is None:
        return None
    return row[1] if row[1] is not None else {"choice": row[0]}


def vote_choice_of(*, proposal: Proposal, user) -> str | None:
    """`user`'s own choice; on a secret ballot only while the vote runs, and only to that user."""
    if not signed_in(user):
        return None
    if proposal.anonymous:
        return secret_choice_of(proposal=proposal, user=user)
    return Vote.objects.filter(proposal=proposal, voter=user).values_list("choice", flat=True).first()


def amendment_choice_of(*, amendment: Amendment, proposal: Proposal, user) -> str | None:
    if not signed_in(user):
        return None
    if proposal.anonymous:
        return secret_choice_of(proposal=proposal, user=user, amendment=amendment)
    return AmendmentVote.objects.filter(amendment=amendment, voter=user).values_list("choice", flat=True).first()


def proposal_public_votes(proposal: Proposal) -> list[dict]:
    """Who chose what, for public ballots only; a secret ballot never lists its voters."""
    if proposal.anonymous:
        raise AppError("forbidden", "this ballot is secret: only the counts are published")
    if results_hidden(proposal):
        raise AppError("forbidden", "results are hidden until the vote closes")
    votes = Vote.objects.filter(proposal=proposal).select_related("voter").order_by("voter__username")
    rows = []
    for vote in votes:
        row = {"voter": vote.voter.username, "choice": vote.choice}
        if vote.ballot is not None:
            row["ballot"] = vote.ballot
        rows.append(row)
    return rows
