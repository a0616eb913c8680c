"""The ballot kinds: the worked examples of proposals/README.md "Counting rules", each through the
real services and database (votes cast, proposal closed, outcome read back), bad ballots that change
nothing, the dot vote's database constraints, and a property test: the live counts always equal a
recount of the stored ballots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proposals import counting, selectors, services
from proposals.models import Proposal, SecretBallot, Vote
from realtime.errors import AppError
from realtime.models import TopicEvent

ABCD = ["A", "B", "C", "D"]


def keys_of(proposal) -> dict[str, str]:
    """Label -> option key (c1, c2, …)."""
    return {option["label"]: option["key"] for option in proposal.options}


def cast(proposal, user, **ballot):
    return services.vote_cast(user=user, proposal_id=proposal.id, ballot=ballot)


def closed(proposal) -> dict:
    services.proposal_close_now(user=proposal.author, proposal_id=proposal.id)
    [event] = TopicEvent.objects.filter(topic=proposal.topic, kind="proposal.closed")
    return event.data


def fresh(proposal) -> Proposal:
    return Proposal.objects.get(id=proposal.id)


def ballots_of(make_user, n):
    return [make_user() for _ in range(n)]


# --- pure rules -------------------------------------------------------------------------------------


def test_runoff_example_4_exhausted_ballots_and_the_ballot_order_tie_rule():
    rankings = 4 * [["A", "B"]] + 3 * [["B", "C"]] + 2 * [["C", "B"]] + 2 * [["D"]]
    runoff = counting.instant_runoff(ABCD, rankings)
    assert runoff["winner"] == "B"
    assert runoff["rounds"] == [
        {"counts": {"A": 4, "B": 3, "C": 2, "D": 2}, "exhausted": 0, "eliminated": "D"},
        {"counts": {"A": 4, "B": 3, "C": 2}, "exhausted": 2, "eliminated": "C"},
        {"counts": {"A": 4, "B": 5}, "exhausted": 2, "eliminated": None},
    ]
    assert counting.condorcet_winner(ABCD, rankings) == "B"


def test_runoff_example_5_a_tie_for_fewest_is_broken_by_the_earlier_round():
    rankings = 6 * [["A"]] + 4 * [["B"]] + 3 * [["C", "A"]] + [["D", "C"], ["D"]]
    runoff = counting.instant_runoff(ABCD, rankings)
    assert [r["eliminated"] for r in runoff["rounds"]] == ["D", "C", None]
    assert runoff["rounds"][1]["counts"] == {"A": 6, "B": 4, "C": 4}
    assert runoff["rounds"][2] == {"counts": {"A": 9, "B": 4}, "exhausted": 2, "eliminated": None}
    assert runoff["winner"] == "A"
    assert counting.condorcet_winner(ABCD, rankings) == "A"


def test_runoff_all_equal_is_a_tie_and_a_cycle_has_no_condorcet_winner():
    assert counting.instant_runoff(["A", "B"], [["A"], ["B"]]) == {
        "winner": None,
        "tied": ["A", "B"],
        "rounds": [{"counts": {"A": 1, "B": 1}, "exhausted": 0, "eliminated": None}],
    }
    cycle = [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]]
    assert counting.condorcet_winner(["A", "B", "C"], cycle) is None


# --- the worked examples through the services ------------------------------------------------------


def test_consent_example_1_a_block_stops_adoption_until_withdrawn(make_proposal, make_user):
    proposal = make_proposal(kind="consent")
    assert proposal.option_keys == ["agree", "abstain", "disagree", "block"]
    voters = ballots_of(make_user, 6)
    for voter, choice in zip(voters, ["agree", "agree", "agree", "abstain", "disagree"], strict=False):
        cast(proposal, voter, choice=choice)
    assert selectors.proposal_tally(fresh(proposal))["result"] == {
        "result": "adopted",
        "reason": "consent",
        "blocks": 0,
    }
    cast(proposal, voters[5], choice="block", reason="Le budget n'est pas connu")
    tally = selectors.proposal_tally(fresh(proposal))
    assert tally["result"] == {"result": "refused", "reason": "block", "blocks": 1}
    assert tally["blocks"] == [{"reason": "Le budget n'est pas connu", "voter": voters[5].username}]
    cast(proposal, voters[5], choice="disagree")  # the block is withdrawn
    outcome = closed(proposal)
    assert outcome["result"] == "adopted" and outcome["reason"] == "consent"
    assert outcome["counts"] == {"agree": 3, "abstain": 1, "disagree": 2, "block": 0}


def test_consent_example_2_quorum_not_reached(make_proposal, make_user):
    proposal = make_proposal(kind="consent", quorum=10)
    for voter in ballots_of(make_user, 6):
        cast(proposal, voter, choice="agree")
    outcome = closed(proposal)
    assert (outcome["result"], outcome["reason"], outcome["total"]) == ("refused", "quorum", 6)


def test_a_secret_consent_lists_block_reasons_without_names(make_proposal, make_user):
    proposal = make_proposal(kind="consent", anonymous=True)
    blocker = make_user()
    cast(proposal, blocker, choice="block", reason="Pas assez d'ombre")
    assert selectors.proposal_tally(fresh(proposal))["blocks"] == [{"reason": "Pas assez d'ombre"}]
    assert not Vote.objects.filter(proposal=proposal).exists()
    assert selectors.vote_ballot_of(proposal=fresh(proposal), user=blocker) == {
        "choice": "block",
        "reason": "Pas assez d'ombre",
    }
    assert closed(proposal)["reason"] == "block"


def test_approval_example_3(make_proposal, make_user):
    proposal = make_proposal(kind="approval", choices=["A", "B", "C"], max_choices=2)
    k = keys_of(proposal)
    for voter, picks in zip(ballots_of(make_user, 4), [["A", "B"], ["B"], ["B", "C"], ["A"]], strict=True):
        cast(proposal, voter, choices=[k[p] for p in picks])
    outcome = closed(proposal)
    assert outcome["counts"] == {k["A"]: 2, k["B"]: 3, k["C"]: 1}
    assert (outcome["result"], outcome["reason"], outcome["winner"]) == ("adopted", "plurality", k["B"])


def test_approval_tie(make_proposal, make_user):
    proposal = make_proposal(kind="approval", choices=["A", "B", "C"])
    k = keys_of(proposal)
    for voter, pick in zip(ballots_of(make_user, 2), ["A", "B"], strict=True):
        cast(proposal, voter, choices=[k[pick]])
    outcome = closed(proposal)
    assert (outcome["result"], outcome["reason"], outcome["tied"]) == ("refused", "tie", [k["A"], k["B"]])


def test_ranked_example_4_round_by_round_once_closed(make_proposal, make_user):
    proposal = make_proposal(kind="ranked", choices=ABCD, anonymous=True)
    k = keys_of(proposal)
    rankings = 4 * [["A", "B"]] + 3 * [["B", "C"]] + 2 * [["C", "B"]] + 2 * [["D"]]
    for voter, ranking in zip(ballots_of(make_user, 11), rankings, strict=True):
        cast(proposal, voter, ranking=[k[x] for x in ranking])
    live = selectors.proposal_tally(fresh(proposal))
    assert live["counts"] == {k["A"]: 4, k["B"]: 3, k["C"]: 2, k["D"]: 2}  # first preferences
    assert live["result"] is None  # the rounds are counted at closing
    outcome = closed(proposal)
    assert (outcome["result"], outcome["reason"], outcome["winner"]) == ("adopted", "runoff", k["B"])
    assert [r["eliminated"] for r in outcome["rounds"]] == [k["D"], k["C"], None]
    assert outcome["rounds"][2]["exhausted"] == 2 and outcome["condorcet_winner"] == k["B"]
    final = selectors.proposal_tally(fresh(proposal))
    assert final["final"] and final["result"]["rounds"] == outcome["rounds"]


def test_score_example_6(make_proposal, make_user):
    proposal = make_proposal(kind="score", choices=["A", "B"])
    a, b = keys_of(proposal)["A"], keys_of(proposal)["B"]
    voters = ballots_of(make_user, 4)
    for voter, (x, y) in zip(voters, [(5, 3), (2, 4), (4, 4)], strict=False):
        cast(proposal, voter, scores={a: x, b: y})
    tally = selectors.proposal_tally(fresh(proposal))
    assert tally["result"]["reason"] == "tie" and tally["averages"] == {a: 3.667, b: 3.667}
    cast(proposal, voters[3], scores={a: 0, b: 1})
    tally = selectors.proposal_tally(fresh(proposal))
    assert tally["averages"] == {a: 2.75, b: 3.0} and tally["scale"] == [0, 5]
    assert tally["distribution"][b] == {"0": 0, "1": 1, "2": 0, "3": 1, "4": 2, "5": 0}
    outcome = closed(proposal)
    assert (outcome["result"], outcome["reason"], outcome["winner"]) == ("adopted", "score", b)


def test_dot_example_7_and_its_constraints(make_proposal, make_user):
    proposal = make_proposal(kind="dot", choices=["A", "B", "C"])
    k = keys_of(proposal)
    voters = ballots_of(make_user, 4)
    for voter, points in zip(voters, [{"A": 7, "B": 3}, {"B": 10}, {"A": 4, "C": 6}], strict=False):
        cast(proposal, voter, points={k[x]: n for x, n in points.items()})
    with pytest.raises(AppError) as over:
        cast(proposal, voters[3], points={k["A"]: 8, k["B"]: 3})
    assert over.value.code == "bad_request" and "10 points" in over.value.message
    row = fresh(proposal)
    assert row.counts == {k["A"]: 11, k["B"]: 13, k["C"]: 6} and (row.points_cast, row.total) == (30, 3)
    # The database itself refuses an overspent ballot, whatever wrote it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.filter(proposal=proposal, voter=voters[1]).update(points=11)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(id=proposal.id).update(points_cast=31)
    with pytest.raises(IntegrityError), transaction.atomic():
        SecretBallot.objects.create(proposal=proposal, choice="", points=11, budget=10)
    outcome = closed(proposal)
    assert (outcome["result"], outcome["winner"]) == ("adopted", k["B"])


def test_meeting_example_8_slots_are_options_in_time_order(make_proposal, make_user):
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    slots = [
        {"starts_at": (start + timedelta(hours=h)).isoformat(), "ends_at": (start + timedelta(hours=h + 1)).isoformat()}
        for h in (4, 0, 2)  # given out of order
    ]
    proposal = make_proposal(kind="meeting", slots=slots)
    assert proposal.option_keys == ["s1", "s2", "s3"]
    assert [o["starts_at"] for o in proposal.options] == sorted(o["starts_at"] for o in proposal.options)
    for voter, picks in zip(ballots_of(make_user, 3), [["s1", "s2"], ["s2"], ["s2", "s3"]], strict=True):
        cast(proposal, voter, choices=picks)
    outcome = closed(proposal)
    assert (outcome["winner"], outcome["counts"]) == ("s2", {"s1": 1, "s2": 3, "s3": 1})


# --- bad ballots: a clear error and nothing changed ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "ballot", "fragment"),
    [
        ({"kind": "ranked", "choices": ["A", "B", "C"]}, {"ranking": ["c1", "c2", "c1"]}, "twice"),
        ({"kind": "ranked", "choices": ["A", "B"]}, {"ranking": []}, "at least one"),
        ({"kind": "ranked", "choices": ["A", "B"]}, {"ranking": ["c1", "zz"]}, "unknown option"),
        ({"kind": "score", "choices": ["A", "B"]}, {"scores": {"c1": 6, "c2": 0}}, "from 0 to 5"),
        ({"kind": "score", "choices": ["A", "B"]}, {"scores": {"c1": 3}}, "score every option"),
        ({"kind": "dot", "choices": ["A", "B"], "points": 5}, {"points": {"c1": 4, "c2": 2}}, "5 points"),
        ({"kind": "dot", "choices": ["A", "B"]}, {"points": {"c1": -1, "c2": 2}}, "negative"),
        ({"kind": "consent"}, {"choice": "block"}, "needs a reason"),
        ({"kind": "consent"}, {"choice": "block", "reason": "   "}, "needs a reason"),
        ({"kind": "approval", "choices": ["A", "B", "C"], "max_choices": 1}, {"choices": ["c1", "c2"]}, "between"),
        ({"kind": "approval", "choices": ["A", "B"]}, {"choice": "c1"}, "gives `choices`"),
        ({}, {"choice": "up", "reason": "x"}, "only a consent"),
    ],
)
def test_bad_ballots_are_refused_and_change_nothing(make_proposal, make_user, fields, ballot, fragment):
    proposal = make_proposal(**fields)
    before = (fresh(proposal).counts, fresh(proposal).state_version)
    with pytest.raises(AppError) as caught:
        cast(proposal, make_user(), **ballot)
    assert caught.value.code == "bad_request" and fragment in caught.value.message
    assert (fresh(proposal).counts, fresh(proposal).state_version) == before
    assert not Vote.objects.filter(proposal=proposal).exists()


def test_a_bad_change_keeps_the_first_ballot(make_proposal, make_user):
    proposal = make_proposal(kind="dot", choices=["A", "B"], points=5)
    voter = make_user()
    cast(proposal, voter, points={"c1": 5})
    with pytest.raises(AppError):
        cast(proposal, voter, points={"c1": 5, "c2": 1})
    assert fresh(proposal).counts == {"c1": 5, "c2": 0}
    assert Vote.objects.get(proposal=proposal).ballot == {"points": {"c1": 5}}


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"kind": "ranked"}, "needs `choices`"),
        ({"kind": "consent", "choices": ["A", "B"]}, "its own options"),
        ({"kind": "meeting"}, "slots"),
        ({"kind": "score", "choices": ["A", "B"], "scale_min": 3, "scale_max": 3}, "below"),
        ({"kind": "score", "choices": ["A", "B"], "scale_max": 11}, "scale_max"),
        ({"kind": "approval", "choices": ["A", "B"], "max_choices": 3}, "cannot exceed"),
        ({"kind": "approval", "choices": ["A", "B"], "points": 3}, "belongs to a dot"),
        ({"kind": "dot", "choices": ["A", "B"], "points": 0}, "points"),
    ],
)
def test_bad_kind_settings_are_refused(make_proposal, fields, fragment):
    with pytest.raises(AppError) as caught:
        make_proposal(**fields)
    assert caught.value.code == "bad_request" and fragment in caught.value.message


def test_can_change_and_eligibility_hold_for_every_kind(make_proposal, make_user, make_room):
    owner = make_user()
    room = make_room(owner)
    outsider = make_user()
    proposal = make_proposal(
        author=owner, room=room, kind="ranked", choices=["A", "B"], can_change=False, eligibility="members"
    )
    with pytest.raises(AppError) as refused:
        cast(proposal, outsider, ranking=["c1"])
    assert refused.value.code == "forbidden"
    cast(proposal, owner, ranking=["c1", "c2"])
    with pytest.raises(AppError) as fixed:
        cast(proposal, owner, ranking=["c2", "c1"])
    assert fixed.value.code == "conflict"
    assert fresh(proposal).counts == {"c1": 1, "c2": 0}


def test_hidden_results_hide_what_each_kind_adds(make_proposal, make_user):
    proposal = make_proposal(kind="score", choices=["A", "B"], hide_results=True)
    cast(proposal, make_user(), scores={"c1": 1, "c2": 2})
    tally = selectors.proposal_tally(fresh(proposal))
    assert tally["counts"] is None and tally["averages"] is None and tally["distribution"] is None
    consent = make_proposal(kind="consent", hide_results=True)
    cast(consent, make_user(), choice="block", reason="non")
    assert selectors.proposal_tally(fresh(consent))["blocks"] is None


# --- property: the live counts equal a recount of the stored ballots ---------------------------------

KIND_SETTINGS = {
    "consent": {"kind": "consent"},
    "approval": {"kind": "approval", "choices": ["A", "B", "C"], "min_choices": 0},
    "ranked": {"kind": "ranked", "choices": ["A", "B", "C", "D"]},
    "score": {"kind": "score", "choices": ["A", "B", "C"], "scale_min": 1, "scale_max": 4},
    "dot": {"kind": "dot", "choices": ["A", "B", "C"], "points": 6},
}


def ballot_strategy(kind: str):
    keys = ["c1", "c2", "c3"]
    if kind == "consent":
        return st.sampled_from(["agree", "abstain", "disagree", "block"]).map(
            lambda c: {"choice": c, "reason": "parce que"} if c == "block" else {"choice": c}
        )
    if kind == "approval":
        return st.lists(st.sampled_from(keys), unique=True).map(lambda c: {"choices": c})
    if kind == "ranked":
        return st.permutations(["c1", "c2", "c3", "c4"]).flatmap(
            lambda order: st.integers(1, 4).map(lambda n: {"ranking": list(order[:n])})
        )
    if kind == "score":
        return st.fixed_dictionaries({key: st.integers(1, 4) for key in keys}).map(lambda s: {"scores": s})
    return (
        st.fixed_dictionaries({key: st.integers(0, 3) for key in keys})
        .filter(lambda p: 0 < sum(p.values()) <= 6)
        .map(lambda p: {"points": p})
    )


@pytest.mark.parametrize("kind", sorted(KIND_SETTINGS))
@pytest.mark.parametrize("secret", [False, True], ids=["public", "secret"])
def test_live_counts_equal_a_recount_of_the_stored_ballots(make_proposal, make_user, kind, secret):
    author = make_user()
    voters = [make_user() for _ in range(4)]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(st.integers(0, 3), ballot_strategy(kind)), min_size=1, max_size=12))
    def check(casts):
        proposal = make_proposal(author=author, anonymous=secret, **KIND_SETTINGS[kind])
        for index, ballot in casts:
            cast(proposal, voters[index], **ballot)
        row = fresh(proposal)
        rules = counting.rules_of(row)
        counts, detail, total = counting.recount(rules, selectors.proposal_ballots(row))
        assert (row.counts, row.detail, row.total) == (counts, detail, total)
        assert total == len({index for index, _ in casts})
        assert row.points_cast == sum(counting.ballot_points(b) or 0 for b in selectors.proposal_ballots(row))
        # Closing destroys the secret links and rewrites the ballots: the recount still agrees.
        services.proposal_close_now(user=author, proposal_id=row.id)
        closed_row = fresh(proposal)
        assert counting.recount(rules, selectors.proposal_ballots(closed_row))[0] == closed_row.counts

    check()
