"""What the write services share: the default voting period, the proposal row lock."""

from __future__ import annotations

from datetime import timedelta

from proposals.models import Proposal
from realtime.errors import AppError

DEFAULT_VOTING_PERIOD = timedelta(days=7)


def proposal_row_locked(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(id=proposal_id).first()
    if proposal is None:
        raise AppError("not_found", f"proposal {proposal_id} does not exist")
    return proposal
