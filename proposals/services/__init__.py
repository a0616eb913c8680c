"""Writes on proposals: create, vote, amend, open, close, archive.

Every write that moves a count locks the proposal row (select_for_update) first, so votes on
one proposal, its opening and its closing are serialised there: the phase a vote checks is
the phase it commits under, and counts, totals and `state_version` move together.
Lock order is always proposal row, then topic row (topic_event_append), never the reverse.
"""

from proposals.inputs import AMENDMENT_MAX
from proposals.services.common import DEFAULT_VOTING_PERIOD
from proposals.services.lifecycle import (
    may_close,
    proposal_archive,
    proposal_close_due,
    proposal_close_now,
    proposal_create,
    proposal_open_due,
    proposal_open_for_electors,
)
from proposals.services.reported import proposal_reported_hide, proposal_reported_remove, proposal_reported_restore
from proposals.services.timing import proposal_extend, proposal_reopen, proposal_revise, proposal_schedule
from proposals.services.votes import AMENDMENT_KEYS, amendment_propose, amendment_vote_cast, vote_cast

__all__ = [
    "AMENDMENT_KEYS",
    "AMENDMENT_MAX",
    "DEFAULT_VOTING_PERIOD",
    "amendment_propose",
    "amendment_vote_cast",
    "may_close",
    "proposal_archive",
    "proposal_close_due",
    "proposal_close_now",
    "proposal_create",
    "proposal_open_for_electors",
    "proposal_reported_hide",
    "proposal_reported_remove",
    "proposal_reported_restore",
    "proposal_extend",
    "proposal_reopen",
    "proposal_revise",
    "proposal_schedule",
    "proposal_open_due",
    "vote_cast",
]
