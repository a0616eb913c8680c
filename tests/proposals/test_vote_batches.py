"""Votes in one group-commit batch (realtime.batching): the proposal row, its room and the batch's
new ballots cost one statement per batch, not per vote; tallies stay exact, one ballot per person,
and a vote that fails rolls back alone, in the table and in the row the batch holds in memory."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from proposals.models import Proposal, Vote
from proposals.services import vote_cast
from realtime.batching import run_batch
from realtime.errors import AppError
from realtime.models import WriteReceipt

pytestmark = pytest.mark.django_db(transaction=True)

# Per vote in a batch: its savepoint and release, its receipt's claim, the read of the voter's
# ballot. Once per batch: the proposal's lock, its room and sanctions, one INSERT of the ballots,
# one UPDATE of the proposal's counts, one UPDATE of the receipts, begin/commit (and, with no hub
# here, the tally snapshot computed on commit). It was 10 per vote before.
STATEMENTS_PER_VOTE = 4


def cast(proposal_id: int, user, choice: str, ref: str):
    return vote_cast, {"user": user, "proposal_id": proposal_id, "choice": choice, "ref": ref}


def vote_then_fail(**kwargs) -> dict:
    """A vote whose write fails after it moved the counts (in the table and in memory)."""
    vote_cast(**kwargs)
    raise AppError("conflict", "this write fails after its vote")


def counted(proposal_id: int) -> tuple[int, dict]:
    stored = Proposal.objects.get(id=proposal_id)
    return stored.total, {key: n for key, n in stored.counts.items() if n}


def test_a_batch_of_votes_costs_a_few_statements_each_and_counts_exactly(make_proposal, make_user):
    proposal = make_proposal()
    voters = [make_user() for _ in range(30)]
    keys = ["up", "down", "white"]
    calls = [cast(proposal.id, v, keys[i % 3], f"v{i}") for i, v in enumerate(voters)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = run_batch(calls)
    assert all(ok for ok, _ in outcomes), outcomes
    assert len(queries.captured_queries) <= 30 * STATEMENTS_PER_VOTE + 10, len(queries.captured_queries)
    assert sum(q["sql"].startswith('INSERT INTO "proposals_vote"') for q in queries.captured_queries) == 1
    assert sum(q["sql"].startswith('UPDATE "proposals_proposal"') for q in queries.captured_queries) == 1
    assert counted(proposal.id) == (30, {"up": 10, "down": 10, "white": 10})
    assert Vote.objects.filter(proposal=proposal).count() == 30
    results = {r.ref: r.result for r in WriteReceipt.objects.filter(action="vote")}
    assert results == {f"v{i}": value for i, (_, value) in enumerate(outcomes)}


def test_changes_resends_and_failures_inside_one_batch_keep_the_tally_exact(make_proposal, make_user):
    proposal = make_proposal()
    ana, bob, eve, zoe = (make_user() for _ in range(4))
    calls = [
        cast(proposal.id, ana, "up", "a1"),
        cast(proposal.id, bob, "down", "b1"),
        cast(proposal.id, ana, "down", "a2"),  # ana changes her staged ballot
        cast(proposal.id, ana, "up", "a1"),  # a resend: the first answer, nothing moves
        (vote_then_fail, {"user": eve, "proposal_id": proposal.id, "choice": "up", "ref": "e1"}),
        cast(proposal.id, bob, "white", "b2"),  # after a failure: the row and ballots read again
        cast(proposal.id, zoe, "nope", "z1"),  # not a choice: bad_request, alone
        cast(proposal.id, zoe, "up", "z2"),
        (vote_then_fail, {"user": zoe, "proposal_id": proposal.id, "choice": "down", "ref": "z3"}),
        cast(proposal.id, eve, "white", "e2"),
    ]
    outcomes = run_batch(calls)
    codes = ["ok" if ok else value.code for ok, value in outcomes]
    assert codes == ["ok", "ok", "ok", "ok", "conflict", "ok", "bad_request", "ok", "conflict", "ok"]
    assert outcomes[3][1] == outcomes[0][1]
    assert outcomes[2][1]["changed"] is True and outcomes[5][1]["changed"] is True
    assert counted(proposal.id) == (4, {"down": 1, "white": 2, "up": 1})
    ballots = dict(Vote.objects.filter(proposal=proposal).values_list("voter_id", "choice"))
    assert ballots == {ana.id: "down", bob.id: "white", eve.id: "white", zoe.id: "up"}
    assert not WriteReceipt.objects.filter(ref__in=["e1", "z1", "z3"]).exists()


def test_a_vote_alone_and_in_a_batch_answer_alike(make_proposal, make_user):
    proposal = make_proposal()
    ana, bob = make_user(), make_user()
    alone = vote_cast(user=ana, proposal_id=proposal.id, choice="up", ref="x")
    (ok, batched), *_ = run_batch([cast(proposal.id, bob, "up", "x")])
    assert ok and alone == batched
    again = vote_cast(user=ana, proposal_id=proposal.id, choice="down", ref="y")
    (ok, changed), *_ = run_batch([cast(proposal.id, bob, "down", "y")])
    assert ok and again == changed and counted(proposal.id) == (2, {"down": 2})


def vote_maybe_failing(*, fail: bool, **kwargs) -> dict:
    result = vote_cast(**kwargs)
    if fail:
        raise AppError("conflict", "this write fails after its vote")
    return result


def test_a_failed_change_of_a_ballot_staged_in_the_same_run_puts_it_back(make_proposal, make_user):
    """One command's writes share the staged ballots and the proposal in memory: a write that
    changed them and then failed puts them back before the next write runs."""
    proposal = make_proposal()
    ana, bob = make_user(), make_user()

    def call(user, choice: str, ref: str, fail: bool = False):
        return vote_maybe_failing, {
            "fail": fail,
            "user": user,
            "proposal_id": proposal.id,
            "choice": choice,
            "ref": ref,
        }

    calls = [
        call(ana, "up", "a1"),
        call(ana, "down", "a2", fail=True),  # moves ana's staged ballot and the counts, then fails
        call(bob, "up", "b1"),
        call(bob, "white", "b2", fail=True),
        call(ana, "up", "a3"),  # unchanged: her ballot is still `up`
    ]
    outcomes = run_batch(calls)
    assert [ok for ok, _ in outcomes] == [True, False, True, False, True]
    assert outcomes[4][1]["changed"] is False
    assert counted(proposal.id) == (2, {"up": 2})
    assert dict(Vote.objects.filter(proposal=proposal).values_list("voter_id", "choice")) == {
        ana.id: "up",
        bob.id: "up",
    }
