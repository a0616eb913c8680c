"""Scheduler job: open amendable proposals and close votes when their dates come."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from proposals.models import Proposal
from proposals.services import proposal_close_due, proposal_open_due

BATCH = 200


def proposals_advance() -> datetime | None:
    """Open and close proposals whose dates have come, exactly once across processes; returns
    when the next known one comes due (None: none waits), for the scheduler's next run.

    Finding due rows is a plain indexed read (no transaction, so an idle tick takes no write
    lock); each transition then claims its row itself and re-checks the condition there.
    """
    now = timezone.now()
    due_open = Proposal.objects.filter(phase=Proposal.AMENDABLE, amendable_until__lte=now).order_by("amendable_until")
    for proposal_id in due_open.values_list("id", flat=True)[:BATCH]:
        proposal_open_due(proposal_id=proposal_id, now=now)
    due_close = Proposal.objects.filter(phase=Proposal.TOVOTE, closes_at__lte=now).order_by("closes_at")
    for proposal_id in due_close.values_list("id", flat=True)[:BATCH]:
        proposal_close_due(proposal_id=proposal_id, now=now)
    next_dates = [
        Proposal.objects.filter(phase=Proposal.AMENDABLE).aggregate(at=Min("amendable_until"))["at"],
        Proposal.objects.filter(phase=Proposal.TOVOTE).aggregate(at=Min("closes_at"))["at"],
    ]
    return min((at for at in next_dates if at is not None), default=None)
