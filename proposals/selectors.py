"""Reads on proposals: who may read, who may vote, the tally snapshot, one's own vote."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from discussions.selectors import room_get_readable, room_is_member, room_member_count, room_readable_filter
from events.selectors import event_checked_in, event_checked_in_count, event_get_visible, event_visible_ids
from proposals import tally
from proposals.ballots import secret_choice_of
from proposals.electorate import elector_is, electorate_fixed, electorate_summary
from proposals.models import Amendment, AmendmentVote, Proposal, Vote
from realtime.auth import signed_in
from realtime.errors import AppError

# --- reading proposals ---------------------------------------------------------------------


def proposal_check_readable(*, proposal: Proposal, user, private_as: str = "not_found") -> None:
    """A proposal is as readable as its room or event; commune-wide ones are public."""
    if proposal.room_id is not None:
        try:
            room_get_readable(room_id=proposal.room_id, user=user, private_as=private_as)
        except AppError as exc:
            if exc.code == "not_found":
                raise AppError("not_found", f"proposal {proposal.id} does not exist") from None
            raise
    elif proposal.event_id is not None:
        event_get_visible(event_id=proposal.event_id, user=user)


def proposal_get_readable(*, proposal_id: int, user, private_as: str = "not_found") -> Proposal:
    proposal = Proposal.objects.filter(id=proposal_id).first()
    if proposal is None:
        raise AppError("not_found", f"proposal {proposal_id} does not exist")
    proposal_check_readable(proposal=proposal, user=user, private_as=private_as)
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


def proposal_outcome_provisional(proposal: Proposal, eligible: int | None) -> dict:
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
        "electorate": electorate_summary(proposal),
    }
    if closed:
        data["result"] = {
            k: v for k, v in proposal.outcome.items() if k not in ("counts", "total", "eligible", "turnout")
        }
    elif not hidden and proposal.phase == Proposal.TOVOTE:
        data["result"] = proposal_outcome_provisional(proposal, eligible)
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


def proposal_tally_by_id(proposal_id: int) -> dict | None:
    proposal = Proposal.objects.filter(id=proposal_id).first()
    return None if proposal is None else proposal_tally(proposal)


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
    return [{"voter": vote.voter.username, "choice": vote.choice} for vote in votes]
