"""Votes on a proposal and on its amendments, and the amendments themselves."""

from __future__ import annotations

import json
from datetime import datetime

from django.utils import timezone

from proposals import counting, selectors, tally
from proposals.ballots import secret_vote_record
from proposals.models import Amendment, AmendmentVote, Proposal, Vote
from proposals.services.common import proposal_row_locked
from proposals.services.lifecycle import proposal_close_if_all_voted
from realtime.batching import batch_cached, batch_create, batch_save, batch_staged, batch_undo
from realtime.errors import AppError
from realtime.idempotency import receipt_forget
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed
from realtime.writes import user_write


def _voting_open_check(proposal: Proposal, now: datetime) -> None:
    if proposal.phase == Proposal.AMENDABLE:
        raise AppError("conflict", "voting has not opened yet: the proposal is still open to amendments")
    if proposal.phase != Proposal.TOVOTE or proposal.closes_at <= now:
        raise AppError("conflict", "voting is closed on this proposal")


def _voter_locked(*, user, proposal_id: int) -> Proposal:
    """The proposal, locked, if `user` may read it and vote on it (one read of the row).

    In a group-commit batch the votes of one run share the row read (and its room's): each vote
    saves what it changes, and a vote that fails drops the batch's cache, so the next reads the
    row again as the savepoint left it (realtime.batching.batch_cached)."""
    proposal = batch_cached(("proposal-locked", proposal_id), lambda: proposal_row_locked(proposal_id))
    selectors.proposal_check_readable(proposal=proposal, user=user, room_read_batched=True)
    selectors.user_eligible_check(proposal=proposal, user=user)
    return proposal


def _choice_check(choice: str, keys: list[str]) -> str:
    if choice not in keys:
        raise AppError("bad_request", f"choice must be one of: {', '.join(keys)}")
    return choice


@user_write("vote", actor="user", signed_out="sign in to vote")
def vote_cast(
    *, user, proposal_id: int, choice: str | None = None, ballot: dict | None = None, ref: str | None = None
) -> dict:
    """Cast or change `user`'s ballot: `choice` (the `vote` and `consent` kinds) or `ballot`,
    what the voter sent (VoteIn.ballot), checked against the proposal's kind by
    proposals.counting.ballot_checked. One ballot per person (unique constraint); a change needs
    `can_change`, else `conflict`; outside `tovote` (or past closes_at), `conflict`.

    Moves the counts under the proposal's row lock and marks the tally dirty. A vote among named
    electors closes with the ballot of the last of them (`proposal_close_if_all_voted`). A secret ballot
    goes to proposals.ballots, keeps no write receipt and its reply does not carry the choice.
    """
    locked = _voter_locked(user=user, proposal_id=proposal_id)
    rules = counting.rules_of(locked)
    given = dict(ballot) if ballot is not None else {"choice": choice}
    new = counting.ballot_checked(rules, given)
    _voting_open_check(locked, timezone.now())
    if locked.anonymous:
        receipt_forget()  # a receipt names a user and a time: it would date the secret choice
        old = secret_vote_record(proposal=locked, user=user, ballot=new)
    else:
        old = _public_vote_record(locked, user, new)
    changed = old != new
    if changed:
        tallied = ["counts", "detail", "total", "points_cast", "state_version"]
        before = {field: getattr(locked, field) for field in tallied}
        batch_undo(lambda: [setattr(locked, field, value) for field, value in before.items()])
        counts, detail = dict(locked.counts), dict(locked.detail or {})
        if rules.kind == counting.SCORE:
            detail = json.loads(json.dumps(detail))  # nested rows change: no shared dicts
        if old is not None:
            counting.ballot_add(rules, counts, detail, old, -1)
            locked.points_cast -= counting.ballot_points(old) or 0
        else:
            locked.total += 1
        counting.ballot_add(rules, counts, detail, new, 1)
        locked.points_cast += counting.ballot_points(new) or 0
        locked.counts, locked.detail = counts, detail
        locked.state_version += 1
        if locked.eligibility == Proposal.ELECTORS:  # it may close now: its count is read from the row
            locked.save(update_fields=tallied)
        else:  # one UPDATE for the votes of a group-commit batch (the row is locked until commit)
            batch_save(locked, tallied)
        topic_state_changed(locked.topic)
        if old is None:
            proposal_close_if_all_voted(locked)  # a moderation vote: the last elector closes it
    if locked.anonymous:
        return {"proposal": locked.id, "voted": True}
    result = {"proposal": locked.id, "voted": True, "changed": old is not None and changed}
    result["choice"] = counting.ballot_choice(new)
    if set(new) != {"choice"}:
        result["ballot"] = new
    return result


def _public_vote_record(proposal: Proposal, user, ballot: dict) -> dict | None:
    """Record or move a public ballot; returns the previous one (None for a first vote)."""
    fields = {
        "choice": counting.ballot_choice(ballot),
        # `vote` ballots keep the original shape (the choice only).
        "ballot": None if proposal.kind == counting.VOTE else ballot,
        "points": counting.ballot_points(ballot),
    }
    fields["budget"] = proposal.points_budget if fields["points"] is not None else None
    # The ballots this batch's run of votes staged (one INSERT for them all, realtime.batching):
    # not in the table yet, so a second ballot of the same person in the run is found here.
    # A vote among named electors may close the proposal, whose count reads the table: no staging.
    staged = batch_cached(("ballots-staged", proposal.id), dict)
    vote = staged.get(user.pk) or Vote.objects.filter(proposal=proposal, voter=user).first()
    if vote is None:
        # Under the proposal lock nobody else inserts this ballot; the unique constraint is the
        # backstop (an IntegrityError here rolls the whole vote back, or in a batch the batch).
        if proposal.eligibility == Proposal.ELECTORS:
            Vote.objects.create(proposal=proposal, voter=user, **fields)
        else:
            vote = batch_create(Vote, proposal=proposal, voter=user, **fields)
            if batch_staged(vote):
                staged[user.pk] = vote
        return None
    old = vote_ballot(vote)
    if not proposal.can_change:
        raise AppError("conflict", "you have already voted and this vote cannot be changed")
    if old != ballot:
        before = {field: getattr(vote, field) for field in fields}
        for field, value in fields.items():
            setattr(vote, field, value)
        if batch_staged(vote):  # written with the batch's INSERT; put back if this vote rolls back
            batch_undo(lambda: [setattr(vote, field, value) for field, value in before.items()])
        else:
            vote.save(update_fields=list(fields))
    return old


def vote_ballot(vote: Vote) -> dict:
    return vote.ballot if vote.ballot is not None else {"choice": vote.choice}


# --- amendments ----------------------------------------------------------------------------

AMENDMENT_KEYS = [option["key"] for option in tally.AMENDMENT_OPTIONS]


def _amending_open_check(proposal: Proposal, now: datetime) -> None:
    if proposal.phase != Proposal.AMENDABLE or (proposal.amendable_until and proposal.amendable_until <= now):
        raise AppError("conflict", "this proposal is not open to amendments")


@user_write("amend", actor="author", signed_out="sign in to vote")
def amendment_propose(*, author, proposal_id: int, body: str, ref: str | None = None) -> dict:
    """During `amendable`, an eligible voter proposes an amendment; publishes `amendment.proposed`."""
    locked = _voter_locked(user=author, proposal_id=proposal_id)
    _amending_open_check(locked, timezone.now())
    amendment = Amendment.objects.create(
        proposal=locked, author=author, body=body, counts={key: 0 for key in AMENDMENT_KEYS}
    )
    event = topic_event_append(
        topic=locked.topic,
        kind="amendment.proposed",
        data={"id": amendment.id, "author": author.username, "body": body},
    )
    locked.state_version += 1
    locked.save(update_fields=["state_version"])
    topic_state_changed(locked.topic)
    return {"id": amendment.id, "seq": event.seq}


@user_write("amendment_vote", actor="user", signed_out="sign in to vote")
def amendment_vote_cast(*, user, proposal_id: int, amendment_id: int, choice: str, ref: str | None = None) -> dict:
    """Vote up / down / white on an amendment while the proposal is amendable; same rules as
    `vote_cast` (one vote per person, `can_change`, secret when the proposal is)."""
    locked = _voter_locked(user=user, proposal_id=proposal_id)
    choice = _choice_check(choice, AMENDMENT_KEYS)
    _amending_open_check(locked, timezone.now())
    amendment = Amendment.objects.filter(id=amendment_id, proposal=locked).first()
    if amendment is None:
        raise AppError("not_found", f"amendment {amendment_id} is not part of this proposal")
    if locked.anonymous:
        receipt_forget()
        old = secret_vote_record(proposal=locked, user=user, ballot={"choice": choice}, amendment=amendment)
        old = None if old is None else old["choice"]
    else:
        old = _public_amendment_vote_record(locked, amendment, user, choice)
    if old != choice:
        counts = dict(amendment.counts)
        if old is not None:
            counts[old] -= 1
        else:
            amendment.total += 1
        counts[choice] = counts.get(choice, 0) + 1
        amendment.counts = counts
        amendment.save(update_fields=["counts", "total"])
        locked.state_version += 1
        locked.save(update_fields=["state_version"])
        topic_state_changed(locked.topic)
    result = {"proposal": locked.id, "amendment": amendment.id, "voted": True}
    if not locked.anonymous:
        result["choice"] = choice
    return result


def _public_amendment_vote_record(proposal: Proposal, amendment: Amendment, user, choice: str) -> str | None:
    vote = AmendmentVote.objects.filter(amendment=amendment, voter=user).first()
    if vote is None:
        AmendmentVote.objects.create(amendment=amendment, voter=user, choice=choice)
        return None
    if not proposal.can_change:
        raise AppError("conflict", "you have already voted and this vote cannot be changed")
    if vote.choice != choice:
        old, vote.choice = vote.choice, choice
        vote.save(update_fields=["choice"])
        return old
    return choice
