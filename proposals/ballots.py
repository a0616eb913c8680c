"""Secret ballots: stored so that nothing an application user can reach pairs a voter with a choice.

A secret vote writes two rows that share nothing an application user can see or order by:
`SecretVoter` (who voted: the one-vote-per-person constraint) and `SecretBallot` (what was
chosen). Both have random ids and no timestamps, so neither can be put in voting order and set
against a recording of the live tally. The only link is `SecretBallot.holder`, a hash of the
voter keyed with SECRET_KEY *and* a random per-proposal `BallotKey`; it exists so that the voter
can change a permitted vote or see their own choice while the vote runs. When the vote ends
(closing or archiving; for amendments, when the vote on the proposal opens) the ballots are
rewritten in choice order with fresh ids and no holder, and the key is deleted: from then on no
one — operator included — can pair a stored ballot with a voter. docs/SECURITY.md says what a
database administrator holding SECRET_KEY could still learn *during* the vote.

Write receipts are not kept for secret votes (they carry a user and a time); a resent vote is
harmless anyway: the same choice again changes nothing and is answered the same.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

from proposals.counting import ballot_choice, ballot_points
from proposals.models import Amendment, BallotKey, Proposal, SecretBallot, SecretVoter
from realtime.errors import AppError

_SALT = "proposals.ballot.holder"


def _holder(*, key: str, voter_id: int, amendment_id: int | None) -> str:
    scope = f"a{amendment_id}" if amendment_id is not None else "p"
    return salted_hmac(
        _SALT, f"{scope}:{voter_id}", secret=f"{settings.SECRET_KEY}:{key}", algorithm="sha256"
    ).hexdigest()


def _key(proposal_id: int) -> str | None:
    return BallotKey.objects.filter(proposal_id=proposal_id).values_list("key", flat=True).first()


def _stored(row: SecretBallot) -> dict:
    return row.ballot if row.ballot is not None else {"choice": row.choice}


def secret_ballot_of(*, proposal: Proposal, user, amendment: Amendment | None = None) -> dict | None:
    """The voter's own secret ballot while the vote runs; None once the link is destroyed."""
    key = _key(proposal.id)
    if key is None:
        return None
    amendment_id = amendment.id if amendment is not None else None
    holder = _holder(key=key, voter_id=user.id, amendment_id=amendment_id)
    row = SecretBallot.objects.filter(proposal_id=proposal.id, amendment_id=amendment_id, holder=holder).first()
    return None if row is None else _stored(row)


def secret_choice_of(*, proposal: Proposal, user, amendment: Amendment | None = None) -> str | None:
    """The voter's own secret choice while the vote runs; None once the link is destroyed."""
    ballot = secret_ballot_of(proposal=proposal, user=user, amendment=amendment)
    return None if ballot is None else ballot_choice(ballot)


def _ballot_fields(proposal: Proposal, ballot: dict) -> dict:
    points = ballot_points(ballot)
    return {
        "choice": ballot_choice(ballot),
        "ballot": None if set(ballot) == {"choice"} else ballot,
        "points": points,
        "budget": proposal.points_budget if points is not None else None,
    }


def secret_vote_record(*, proposal: Proposal, user, ballot: dict, amendment: Amendment | None = None) -> dict | None:
    """Record or move `user`'s secret ballot (canonical, see proposals.counting); the caller holds
    the proposal's row lock and moves the counts. Returns the previous ballot (None for a first
    vote); equal to `ballot` when nothing changed. A change needs `can_change`, else `conflict`."""
    key = _key(proposal.id)
    if key is None:
        key = secrets.token_hex(32)
        BallotKey.objects.create(proposal=proposal, key=key)
    amendment_id = amendment.id if amendment is not None else None
    holder = _holder(key=key, voter_id=user.id, amendment_id=amendment_id)
    voted = SecretVoter.objects.filter(proposal=proposal, amendment_id=amendment_id, voter=user).exists()
    if not voted:
        SecretVoter.objects.create(proposal=proposal, amendment_id=amendment_id, voter=user)
        SecretBallot.objects.create(
            proposal=proposal, amendment_id=amendment_id, holder=holder, **_ballot_fields(proposal, ballot)
        )
        return None
    row = SecretBallot.objects.filter(proposal=proposal, amendment_id=amendment_id, holder=holder).first()
    if row is None:
        # SECRET_KEY changed during the vote, or the vote was reopened after its links were
        # destroyed at closing: moving counts blindly would corrupt them.
        raise AppError("conflict", "your earlier secret vote can no longer be matched; it stands as cast")
    old = _stored(row)
    if old == ballot:
        return old
    if not proposal.can_change:
        raise AppError("conflict", "you have already voted and this vote cannot be changed")
    for field, value in _ballot_fields(proposal, ballot).items():
        setattr(row, field, value)
    row.save(update_fields=["choice", "ballot", "points", "budget"])
    return old


def secret_ballots_unlink(*, proposal: Proposal, amendments_only: bool = False) -> None:
    """Destroy every voter↔ballot link of a vote that has ended: rewrite the ballots in choice
    order with fresh random ids and no holder (so not even their physical order recalls the
    voting order) and, unless only the amendments ended, delete the proposal's key."""
    ballots = SecretBallot.objects.filter(proposal=proposal)
    if amendments_only:
        ballots = ballots.filter(amendment__isnull=False)
    fields = ("amendment_id", "choice", "ballot", "points", "budget")
    rows = sorted(
        ballots.values_list(*fields),
        key=lambda row: (row[0] or 0, row[1], json.dumps(row[2], sort_keys=True)),
    )
    ballots.delete()
    SecretBallot.objects.bulk_create(
        [SecretBallot(proposal=proposal, **dict(zip(fields, row, strict=True))) for row in rows], batch_size=1000
    )
    if not amendments_only:
        BallotKey.objects.filter(proposal=proposal).delete()


def secret_blocks_lift(*, proposal: Proposal) -> int:
    """Consent revised by its author: remove every standing secret `block` ballot *and* its
    voter's `SecretVoter` row, so the blocker may vote again. Only possible while the vote runs
    (the holder links exist). Returns how many were lifted; the caller moves the counts."""
    key = _key(proposal.id)
    if key is None:
        return 0
    blocks = dict(
        SecretBallot.objects.filter(proposal=proposal, amendment__isnull=True, choice="block").values_list(
            "holder", "id"
        )
    )
    if not blocks:
        return 0
    lifted_voters, lifted_ballots = [], []
    for row_id, voter_id in SecretVoter.objects.filter(proposal=proposal, amendment__isnull=True).values_list(
        "id", "voter_id"
    ):
        holder = _holder(key=key, voter_id=voter_id, amendment_id=None)
        if holder in blocks:
            lifted_voters.append(row_id)
            lifted_ballots.append(blocks[holder])
    SecretVoter.objects.filter(id__in=lifted_voters).delete()
    SecretBallot.objects.filter(id__in=lifted_ballots).delete()
    return len(lifted_ballots)
