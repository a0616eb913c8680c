"""The counting rules, as pure functions of counts (no database): majority, plurality, quorum."""

from __future__ import annotations

FOURWAY_OPTIONS = [
    {"key": "up", "label": "Pour"},
    {"key": "down", "label": "Contre"},
    {"key": "white", "label": "Blanc"},
    {"key": "uncomplet", "label": "Incomplet"},
]
AMENDMENT_OPTIONS = [
    {"key": "up", "label": "Pour"},
    {"key": "down", "label": "Contre"},
    {"key": "white", "label": "Blanc"},
]


def counts_complete(keys: list[str], counts: dict) -> dict[str, int]:
    """Every option key with its count (0 when nobody chose it), in ballot order."""
    return {key: int(counts.get(key, 0)) for key in keys}


def quorum_missing(*, total: int, quorum_votes: int | None, quorum_share: int | None, eligible: int | None) -> bool:
    if quorum_votes is not None and total < quorum_votes:
        return True
    if quorum_share is not None:
        # Unknown or empty electorate cannot prove a share: refuse rather than guess.
        if not eligible or total * 100 < quorum_share * eligible:
            return True
    return False


def up_adopted(*, up: int, total: int, majority: int) -> bool:
    """Adopted when `up` over ALL votes (white and uncomplet included) is strictly above `majority` %.

    Integer arithmetic, so exactly 50 % with majority 50 is refused. Majority 100 means
    unanimity (a share cannot be strictly above 100 %).
    """
    if total <= 0:
        return False
    if majority >= 100:
        return up == total
    return up * 100 > majority * total


def outcome_compute(
    *,
    keys: list[str],
    counts: dict,
    multiple_choice: bool,
    majority: int,
    quorum_votes: int | None = None,
    quorum_share: int | None = None,
    eligible: int | None = None,
) -> dict:
    """The result the counts give now: {result, reason, ...}; final once the vote is closed.

    reason: `majority` (four answers), `plurality` (multiple choice), `tie`, `quorum`, `no_votes`.
    """
    counts = counts_complete(keys, counts)
    total = sum(counts.values())
    outcome: dict = {"result": "refused", "reason": "no_votes"}
    if quorum_missing(total=total, quorum_votes=quorum_votes, quorum_share=quorum_share, eligible=eligible):
        outcome["reason"] = "quorum"
    elif total == 0:
        pass
    elif not multiple_choice:
        adopted = up_adopted(up=counts.get("up", 0), total=total, majority=majority)
        outcome = {"result": "adopted" if adopted else "refused", "reason": "majority"}
    else:
        best = max(counts.values())
        leaders = [key for key in keys if counts[key] == best]
        if len(leaders) > 1:
            outcome = {"result": "refused", "reason": "tie", "tied": leaders}
        else:
            outcome = {"result": "adopted", "reason": "plurality", "winner": leaders[0]}
    if not multiple_choice and total:
        outcome["up_share"] = round(counts.get("up", 0) / total, 4)
    return outcome


def turnout(total: int, eligible: int | None) -> float | None:
    if not eligible:
        return None
    return round(total / eligible, 4)
