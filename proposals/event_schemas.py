"""The `data` of each event kind published on `proposal:<id>` (registered in settings.REALTIME_EVENT_SCHEMAS)."""

from __future__ import annotations

from typing import Literal

from realtime.schemas import EventData

Result = Literal["adopted", "refused"]


class AdoptedAmendment(EventData):
    id: int
    body: str
    status: Literal["adopted"]


class ProposalOpened(EventData):
    id: int
    phase: Literal["tovote"]
    opened_at: str
    closes_at: str
    amendments: list[AdoptedAmendment]


class ProposalClosed(EventData):
    id: int
    result: Result
    reason: Literal["majority", "plurality", "tie", "quorum", "no_votes"]
    counts: dict[str, int]
    total: int
    eligible: int | None
    turnout: float | None
    # four answers: share of `up`; multiple choice: the winner, or the options tied
    up_share: float | None = None
    winner: str | None = None
    tied: list[str] | None = None


class AmendmentProposed(EventData):
    id: int
    author: str
    body: str


class ProposalArchived(EventData):
    id: int
    result: Result | None


class CommuneProposalCreated(EventData):
    """On `commune:<insee>`: a proposal anyone may read was opened in the commune."""

    id: int
    title: str
    phase: Literal["amendable", "tovote"]
    closes_at: str


class CommuneProposalClosed(EventData):
    """On `commune:<insee>`: the vote on a proposal anyone may read has closed."""

    id: int
    title: str
    result: Result
    total: int
    closed_at: str


EVENT_SCHEMAS = {
    "commune.proposal_created": CommuneProposalCreated,
    "commune.proposal_closed": CommuneProposalClosed,
    "proposal.opened": ProposalOpened,
    "proposal.closed": ProposalClosed,
    "amendment.proposed": AmendmentProposed,
    "proposal.archived": ProposalArchived,
}
