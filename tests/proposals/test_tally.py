"""The counting rules: majority over all votes, strictness, unanimity, plurality, ties, quorum."""

import pytest

from proposals.tally import outcome_compute, up_adopted

KEYS = ["up", "down", "white", "uncomplet"]


def fourway(counts, **kwargs):
    return outcome_compute(
        keys=KEYS, counts=counts, multiple_choice=False, majority=kwargs.pop("majority", 50), **kwargs
    )


def test_exactly_half_up_with_majority_50_is_refused():
    outcome = fourway({"up": 5, "down": 5})
    assert outcome["result"] == "refused" and outcome["reason"] == "majority"
    assert outcome["up_share"] == 0.5


def test_one_more_up_than_half_is_adopted():
    assert fourway({"up": 6, "down": 5})["result"] == "adopted"


def test_white_and_uncomplet_count_in_the_denominator():
    # 6 up, 4 down, 1 white, 1 uncomplet: 6/12 = 50 % -> refused although up beats down.
    outcome = fourway({"up": 6, "down": 4, "white": 1, "uncomplet": 1})
    assert outcome["result"] == "refused" and outcome["up_share"] == 0.5
    assert fourway({"up": 3, "white": 2})["result"] == "adopted"  # 60 %
    assert fourway({"up": 3, "uncomplet": 3})["result"] == "refused"


@pytest.mark.parametrize(
    ("up", "total", "majority", "adopted"),
    [
        (2, 3, 66, True),  # 66.67 % > 66
        (2, 3, 67, False),  # 66.67 % < 67
        (3, 4, 75, False),  # exactly 75 %
        (4, 5, 75, True),
        (9, 10, 100, False),
        (10, 10, 100, True),  # majority 100 = unanimity
        (0, 0, 50, False),
    ],
)
def test_supermajorities(up, total, majority, adopted):
    assert up_adopted(up=up, total=total, majority=majority) is adopted


def test_no_votes_is_refused():
    assert fourway({}) == {"result": "refused", "reason": "no_votes"}


def test_quorum_of_votes_not_reached_refuses_even_when_unanimous():
    outcome = fourway({"up": 4}, quorum_votes=5)
    assert outcome["result"] == "refused" and outcome["reason"] == "quorum"
    assert fourway({"up": 5}, quorum_votes=5)["result"] == "adopted"


def test_quorum_share_of_eligible():
    assert fourway({"up": 2}, quorum_share=25, eligible=10)["reason"] == "quorum"  # 20 % < 25 %
    assert fourway({"up": 3}, quorum_share=25, eligible=10)["result"] == "adopted"  # 30 %
    assert fourway({"up": 3}, quorum_share=30, eligible=10)["result"] == "adopted"  # exactly 30 % reaches it
    assert fourway({"up": 3}, quorum_share=30, eligible=None)["reason"] == "quorum"  # unknown electorate


def test_multiple_choice_plurality_and_ties():
    keys = ["c1", "c2", "c3"]
    won = outcome_compute(keys=keys, counts={"c1": 2, "c2": 5, "c3": 4}, multiple_choice=True, majority=50)
    assert won == {"result": "adopted", "reason": "plurality", "winner": "c2"}
    tie = outcome_compute(keys=keys, counts={"c1": 5, "c2": 5, "c3": 4}, multiple_choice=True, majority=50)
    assert tie == {"result": "refused", "reason": "tie", "tied": ["c1", "c2"]}
    quorum = outcome_compute(keys=keys, counts={"c1": 1}, multiple_choice=True, majority=50, quorum_votes=2)
    assert quorum["reason"] == "quorum"
