"""The `data` of each event kind published on `proposal:<id>` (registered in settings.REALTIME_EVENT_SCHEMAS)."""

from __future__ import annotations

from typing import Literal

from realtime.schemas import EventData

Result = Literal["adopted", "refused"]


class AdoptedAmendment(EventData):
    id: int
    body: str
    status: Literal["adopted"]


class RunoffRound(EventData):
    counts: dict[str, int]
    exhausted: int
    eliminated: str | None


class ProposalOpened(EventData):
    id: int
    phase: Literal["tovote"]
    opened_at: str
    closes_at: str
    amendments: list[AdoptedAmendment]


class ProposalClosed(EventData):
    id: int
    result: Result
    reason: Literal["majority", "plurality", "tie", "quorum", "no_votes", "block", "consent", "runoff", "score"]
    counts: dict[str, int]
    total: int
    eligible: int | None
    turnout: float | None
    # four answers: share of `up`; multiple choice: the winner, or the options tied
    up_share: float | None = None
    winner: str | None = None
    tied: list[str] | None = None
    # consent: standing blocks; ranked: the instant-runoff rounds and the Condorcet winner
    # (proposals.counting); score: each option's mean score
    blocks: int | None = None
    rounds: list[RunoffRound] | None = None
    condorcet_winner: str | None = None
    averages: dict[str, float] | None = None
    # closed early: who closed it and why (absent when closed on time)
    by: str | None = None
    note: str | None = None
    # a vote among named electors (a room's moderation vote) closed when the last of them voted
    all_voted: bool | None = None


class ProposalExtended(EventData):
    id: int
    closes_at: str
    previous_closes_at: str
    reason: str
    by: str


class ProposalReopened(EventData):
    id: int
    closes_at: str
    reason: str
    by: str
    undecided: int | None


class ProposalRevised(EventData):
    """Consent: the author revised the text; standing blocks were lifted (their voters vote again)."""

    id: int
    body: str
    reason: str
    by: str
    blocks_lifted: int


class ProposalScheduled(EventData):
    """Meeting time: the chosen slot became event `event` (its iCalendar file at `ics`)."""

    id: int
    event: int
    slot: str
    starts_at: str
    ends_at: str
    ics: str
    invited: int


class AmendmentProposed(EventData):
    id: int
    author: str
    body: str


class ProposalArchived(EventData):
    id: int
    result: Result | None


class ProposalModerated(EventData):
    """`proposal.hidden` (reported past the room's threshold), `proposal.restored` (the room's
    moderation vote kept it), `proposal.removed` (the vote removed it: text erased)."""

    id: int


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
    "proposal.extended": ProposalExtended,
    "proposal.reopened": ProposalReopened,
    "proposal.scheduled": ProposalScheduled,
    "proposal.revised": ProposalRevised,
    "amendment.proposed": AmendmentProposed,
    "proposal.archived": ProposalArchived,
    "proposal.hidden": ProposalModerated,
    "proposal.restored": ProposalModerated,
    "proposal.removed": ProposalModerated,
}
