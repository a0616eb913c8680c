"""Who hears of a proposal: eligible voters when it opens, non-voters before it closes, voters of its result.

A proposal open to every signed-in user notifies nobody when it opens or closes (that would be
everyone); eligibility limited to a room, an event or a commune names its people.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from discussions.models import Membership
from events.models import Rsvp
from notifications.selectors import once_done
from notifications.services import notify, notify_once
from proposals.models import Proposal, Vote

CLOSING_WITHIN = timedelta(hours=24)


def proposal_notice(proposal: Proposal) -> dict:
    title = "" if proposal.hidden_at is not None else proposal.title  # hidden by reports: no text
    return {"title": title, "proposal": proposal.id, "url": f"/#/proposal/{proposal.id}"}


def eligible_voter_ids(proposal: Proposal) -> set[int]:
    if proposal.eligibility == Proposal.MEMBERS:
        return set(Membership.objects.filter(room_id=proposal.room_id).values_list("user_id", flat=True))
    if proposal.eligibility == Proposal.PRESENT:
        rows = Rsvp.objects.filter(event_id=proposal.event_id, checked_in_at__isnull=False)
        return set(rows.values_list("user_id", flat=True))
    if proposal.eligibility == Proposal.RESIDENTS and proposal.commune_id is not None:
        rows = get_user_model().objects.filter(home_commune_id=proposal.commune_id, is_active=True)
        return set(rows.values_list("id", flat=True))
    return set()


def voter_ids(proposal: Proposal) -> set[int]:
    return set(Vote.objects.filter(proposal=proposal).values_list("voter_id", flat=True))


def proposal_opened_notify(proposal: Proposal) -> None:
    notify(
        kind="proposal_opened",
        recipients=eligible_voter_ids(proposal),
        subject=proposal.topic,
        data=proposal_notice(proposal),
        exclude=proposal.author_id,
    )


def proposal_reopened_notify(proposal: Proposal, *, undecided: list[int], reason: str, by: int) -> None:
    """A reopened vote is news to those who may vote and have not: a `proposal_opened` notice
    saying it reopened, and why. Who already voted hears nothing, nor who reopened it."""
    notify(
        kind="proposal_opened",
        recipients=undecided,
        subject=proposal.topic,
        data={**proposal_notice(proposal), "reopened": True, "reason": reason},
        exclude=by,
    )


def proposal_result_notify(proposal: Proposal) -> None:
    notify(
        kind="proposal_result",
        recipients=voter_ids(proposal),
        subject=proposal.topic,
        data={**proposal_notice(proposal), "result": proposal.result},
    )


def proposals_closing_notify(*, now=None) -> int:
    """Scheduler job: remind eligible people who have not voted, once, when a vote closes within 24 h."""
    now = now or timezone.now()
    closing = Proposal.objects.filter(phase=Proposal.TOVOTE, closes_at__gt=now, closes_at__lte=now + CLOSING_WITHIN)
    proposals = list(closing.exclude(eligibility=Proposal.SIGNED_IN).order_by("closes_at")[:200])
    # Once per closing time: a vote extended or reopened reminds its undecided again before its new end.
    keys = {p.id: f"proposal_closing:{p.id}:{int(p.closes_at.timestamp())}" for p in proposals}
    done = once_done(list(keys.values()))
    reminded = 0
    for proposal in (p for p in proposals if keys[p.id] not in done):
        reminded += notify_once(
            key=keys[proposal.id],
            kind="proposal_closing",
            recipients=eligible_voter_ids(proposal) - voter_ids(proposal),
            subject=proposal.topic,
            data=proposal_notice(proposal),
        )
    return reminded
