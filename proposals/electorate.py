"""Who may vote on a proposal: the rule that applies and, for residents and members, the
electorate fixed when the vote opens (issue #9, finding 3).

A fixed electorate is written as `Elector` rows in the opening's transaction: people who become
residents or members afterwards do not vote, `eligible` is exact, and quorum shares mean
something. Moving home is limited anyway (accounts.services.user_home_commune_set).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from discussions.models import Membership
from proposals.models import Elector, Proposal

SIGNED_IN, PRESENT = "signed_in", "present"
MEMBERS_AT_OPENING, MEMBERS_LIVE = "members_at_opening", "members_live"
RESIDENTS_DECLARED, RESIDENTS_VERIFIED = "residents_declared", "residents_verified"
NAMED = "named"
FIXED_RULES = {MEMBERS_AT_OPENING, RESIDENTS_DECLARED, RESIDENTS_VERIFIED, NAMED}
RULE_TEXTS = {
    SIGNED_IN: "every signed-in user",
    PRESENT: "attendees checked in at the event",
    MEMBERS_AT_OPENING: "members of the room when the vote opened",
    MEMBERS_LIVE: "members of the room (the room accepts members who join during the vote)",
    RESIDENTS_DECLARED: "residents who had declared the commune as their home when the vote opened",
    RESIDENTS_VERIFIED: "residents verified by the commune's referents when the vote opened",
    NAMED: "the people named when the vote opened (a room's moderators and trusted members)",
}


def electorate_rule(proposal: Proposal) -> str:
    if proposal.eligibility == Proposal.ELECTORS:
        return NAMED
    if proposal.eligibility == Proposal.MEMBERS:
        return MEMBERS_LIVE if proposal.room is not None and proposal.room.members_vote_live else MEMBERS_AT_OPENING
    if proposal.eligibility == Proposal.RESIDENTS:
        verified = proposal.commune is not None and proposal.commune.residents_verified_only
        return RESIDENTS_VERIFIED if verified else RESIDENTS_DECLARED
    return PRESENT if proposal.eligibility == Proposal.PRESENT else SIGNED_IN


def _electors_now(proposal: Proposal, rule: str):
    if rule == MEMBERS_AT_OPENING:
        return Membership.objects.filter(room_id=proposal.room_id).values_list("user_id", flat=True)
    residents = get_user_model().objects.filter(home_commune_id=proposal.commune_id, is_active=True)
    if rule == RESIDENTS_VERIFIED:
        residents = residents.filter(verifications__commune_id=proposal.commune_id)
    return residents.values_list("id", flat=True)


def electorate_fix(proposal: Proposal) -> None:
    """At the vote's opening, in its transaction: record the rule and, for residents and members,
    the electorate itself. The caller saves `electorate_rule` and `electorate_size`."""
    rule = electorate_rule(proposal)
    proposal.electorate_rule = rule
    if rule not in FIXED_RULES:
        proposal.electorate_size = None
        return
    if rule == NAMED:  # the opener wrote the Elector rows
        proposal.electorate_size = Elector.objects.filter(proposal=proposal).count()
        return
    ids = list(_electors_now(proposal, rule).distinct())
    Elector.objects.bulk_create([Elector(proposal=proposal, user_id=user_id) for user_id in ids], batch_size=1000)
    proposal.electorate_size = len(ids)


def electorate_fixed(proposal: Proposal) -> bool:
    return proposal.electorate_rule in FIXED_RULES


def elector_is(proposal: Proposal, user) -> bool:
    return Elector.objects.filter(proposal=proposal, user=user).exists()


def electorate_summary(proposal: Proposal) -> dict:
    """What the proposal shows about its electorate."""
    rule = proposal.electorate_rule or electorate_rule(proposal)
    return {
        "rule": rule,
        "text": RULE_TEXTS[rule],
        "fixed": electorate_fixed(proposal),
        "fixed_at": proposal.opened_at.isoformat() if electorate_fixed(proposal) and proposal.opened_at else None,
        "size": proposal.electorate_size,
    }
