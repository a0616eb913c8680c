"""The ballot kinds: what a ballot may say, what it adds to the live counts, and the result.

Pure functions, no database (the rules are written out with worked examples in
proposals/README.md "Counting rules"; tests/proposals/test_counting.py checks those examples).

A ballot is a small dict, the same shape stored (`Vote.ballot`, `SecretBallot.ballot`), counted
and recounted:

    vote, consent      {"choice": key}              consent's block: {"choice": "block", "reason": text}
    approval, meeting  {"choices": [key, ...]}      in ballot order, no duplicates
    ranked             {"ranking": [key, ...]}      first preference first, at least one, no duplicates
    score              {"scores": {key: n, ...}}    every option scored on the scale
    dot                {"points": {key: n, ...}}    options given points; sum within the budget

The live counts (`Proposal.counts`) move by `ballot_add` when a ballot is cast, changed
(minus the old, plus the new) or recounted: `recount(ballots)` starts from nothing and adds
every stored ballot, and must equal the live counts (the property test).
"""

from __future__ import annotations

from dataclasses import dataclass

from proposals.tally import counts_complete, quorum_missing
from realtime.errors import AppError

VOTE, CONSENT, APPROVAL, RANKED, SCORE, DOT, MEETING = (
    "vote",
    "consent",
    "approval",
    "ranked",
    "score",
    "dot",
    "meeting",
)
KINDS = (VOTE, CONSENT, APPROVAL, RANKED, SCORE, DOT, MEETING)
CONSENT_OPTIONS = [
    {"key": "agree", "label": "D'accord"},
    {"key": "abstain", "label": "Abstention"},
    {"key": "disagree", "label": "Pas d'accord"},
    {"key": "block", "label": "Blocage"},
]
REASON_MAX = 1000


@dataclass(frozen=True)
class Rules:
    """What counting a proposal needs to know about it (built from the row by `rules_of`)."""

    kind: str
    keys: tuple[str, ...]
    majority: int = 50
    min_choices: int | None = None
    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    points_budget: int | None = None


def rules_of(proposal) -> Rules:
    return Rules(
        kind=proposal.kind,
        keys=tuple(option["key"] for option in proposal.options),
        majority=proposal.majority,
        min_choices=proposal.min_choices,
        max_choices=proposal.max_choices,
        scale_min=proposal.scale_min,
        scale_max=proposal.scale_max,
        points_budget=proposal.points_budget,
    )


# --- what a ballot may say -------------------------------------------------------------------


def _bad(message: str) -> AppError:
    return AppError("bad_request", message)


def _known(keys: tuple[str, ...], given, what: str) -> None:
    unknown = [key for key in given if key not in keys]
    if unknown:
        raise _bad(f"{what}: unknown option {unknown[0]!r}; options are {', '.join(keys)}")


def _distinct(given: list[str], what: str) -> None:
    if len(set(given)) != len(given):
        raise _bad(f"{what} lists an option twice")


def ballot_checked(rules: Rules, given: dict) -> dict:
    """The ballot `given` (what the voter sent, fields not used by the kind absent or None) made
    canonical, or `bad_request` saying what is wrong. Nothing is written before this passes."""
    given = {field: value for field, value in given.items() if value is not None}
    fields = {
        VOTE: "choice",
        CONSENT: "choice",
        APPROVAL: "choices",
        MEETING: "choices",
        RANKED: "ranking",
        SCORE: "scores",
        DOT: "points",
    }
    field = fields[rules.kind]
    extra = sorted(set(given) - {field, "reason"})
    if field not in given:
        raise _bad(f"a {rules.kind} ballot gives `{field}`")
    if extra:
        raise _bad(f"a {rules.kind} ballot gives `{field}`, not {', '.join(extra)}")
    value = given[field]
    if rules.kind in (VOTE, CONSENT):
        if value not in rules.keys:
            raise _bad(f"choice must be one of: {', '.join(rules.keys)}")
        reason = (given.get("reason") or "").strip()
        if rules.kind == CONSENT and value == "block":
            if not reason:
                raise _bad("a block needs a reason: say what would have to change")
            return {"choice": value, "reason": reason[:REASON_MAX]}
        if "reason" in given and rules.kind == VOTE:
            raise _bad("only a consent ballot carries a reason")
        return {"choice": value, "reason": reason[:REASON_MAX]} if reason else {"choice": value}
    if "reason" in given:
        raise _bad("only a consent ballot carries a reason")
    if rules.kind in (APPROVAL, MEETING):
        _known(rules.keys, value, "choices")
        _distinct(value, "choices")
        low, high = rules.min_choices or 0, rules.max_choices or len(rules.keys)
        if not low <= len(value) <= high:
            raise _bad(f"choose between {low} and {high} options (you chose {len(value)})")
        return {"choices": [key for key in rules.keys if key in value]}
    if rules.kind == RANKED:
        _known(rules.keys, value, "ranking")
        _distinct(value, "ranking")
        if not value:
            raise _bad("rank at least one option")
        return {"ranking": list(value)}
    if rules.kind == SCORE:
        _known(rules.keys, value, "scores")
        missing = [key for key in rules.keys if key not in value]
        if missing:
            raise _bad(f"score every option ({missing[0]!r} has no score)")
        for key, score in value.items():
            if not rules.scale_min <= score <= rules.scale_max:
                raise _bad(f"scores are from {rules.scale_min} to {rules.scale_max} ({key!r}: {score})")
        return {"scores": {key: value[key] for key in rules.keys}}
    # DOT
    _known(rules.keys, value, "points")
    if any(points < 0 for points in value.values()):
        raise _bad("points cannot be negative")
    spent = sum(value.values())
    if spent > rules.points_budget:
        raise _bad(f"you have {rules.points_budget} points to give; this ballot gives {spent}")
    if spent == 0:
        raise _bad("give at least one point")
    return {"points": {key: value[key] for key in rules.keys if value.get(key)}}


def ballot_choice(ballot: dict) -> str:
    """The short `choice` column stored beside the ballot: the answer, or the first preference."""
    if "choice" in ballot:
        return ballot["choice"]
    if "ranking" in ballot:
        return ballot["ranking"][0]
    return ""


def ballot_points(ballot: dict) -> int | None:
    return sum(ballot["points"].values()) if "points" in ballot else None


# --- the live counts ---------------------------------------------------------------------------


def counts_empty(rules: Rules) -> tuple[dict, dict]:
    counts = {key: 0 for key in rules.keys}
    detail: dict = {}
    if rules.kind == SCORE:
        scale = range(rules.scale_min, rules.scale_max + 1)
        detail["distribution"] = {key: {str(n): 0 for n in scale} for key in rules.keys}
    return counts, detail


def ballot_add(rules: Rules, counts: dict, detail: dict, ballot: dict, sign: int = 1) -> None:
    """Add (sign 1) or take away (sign -1) one ballot's share of the counts, in place.

    vote/consent: one for the answer; approval/meeting: one for each option chosen; ranked: one
    for the first preference (the rounds are counted at closing); score: the score into the
    option's sum and one into its distribution; dot: the points.
    """
    if "choice" in ballot:
        counts[ballot["choice"]] = counts.get(ballot["choice"], 0) + sign
    elif "choices" in ballot:
        for key in ballot["choices"]:
            counts[key] = counts.get(key, 0) + sign
    elif "ranking" in ballot:
        first = ballot["ranking"][0]
        counts[first] = counts.get(first, 0) + sign
    elif "scores" in ballot:
        distribution = detail.setdefault("distribution", {})
        for key, score in ballot["scores"].items():
            counts[key] = counts.get(key, 0) + sign * score
            row = distribution.setdefault(key, {})
            row[str(score)] = row.get(str(score), 0) + sign
    elif "points" in ballot:
        for key, points in ballot["points"].items():
            counts[key] = counts.get(key, 0) + sign * points


def recount(rules: Rules, ballots: list[dict]) -> tuple[dict, dict, int]:
    """(counts, detail, total) from the stored ballots alone."""
    counts, detail = counts_empty(rules)
    for ballot in ballots:
        ballot_add(rules, counts, detail, ballot)
    return counts, detail, len(ballots)


# --- ranked choice: instant runoff and the Condorcet report ------------------------------------


def instant_runoff(keys: list[str], rankings: list[list[str]]) -> dict:
    """Instant-runoff voting (README "Ranked choice").

    Each round gives every ballot to its highest-ranked option still in the count; a ballot with
    none left is *exhausted*. An option holding more than half of the ballots still in play wins.
    Otherwise the option with fewest votes is eliminated; when several tie for fewest, the one with
    fewer votes in the latest earlier round where they differ goes, and if they never differed the
    one listed last on the ballot goes. When every option still in the count has the same number
    of votes (two left at 50/50, say) nobody wins: a tie.
    Returns {winner | None, tied | None, rounds: [{counts, exhausted, eliminated}]}.
    """
    continuing = list(keys)
    rounds: list[dict] = []
    while True:
        counts = {key: 0 for key in continuing}
        exhausted = 0
        for ranking in rankings:
            top = next((key for key in ranking if key in counts), None)
            if top is None:
                exhausted += 1
            else:
                counts[top] += 1
        in_play = sum(counts.values())
        this_round = {"counts": counts, "exhausted": exhausted, "eliminated": None}
        rounds.append(this_round)
        if in_play == 0:
            return {"winner": None, "tied": None, "rounds": rounds}
        leader = max(continuing, key=lambda key: counts[key])
        if counts[leader] * 2 > in_play:
            return {"winner": leader, "tied": None, "rounds": rounds}
        if len(set(counts.values())) == 1:
            return {"winner": None, "tied": list(continuing), "rounds": rounds}
        fewest = min(counts.values())
        lowest = [key for key in continuing if counts[key] == fewest]
        for earlier in reversed(rounds[:-1]):
            if len(lowest) == 1:
                break
            least = min(earlier["counts"][key] for key in lowest)
            lowest = [key for key in lowest if earlier["counts"][key] == least]
        out = lowest[-1]  # still tied: the one listed last on the ballot
        this_round["eliminated"] = out
        continuing.remove(out)


def condorcet_winner(keys: list[str], rankings: list[list[str]]) -> str | None:
    """The option that more voters rank above each other option than below it, if one exists.
    A ranked option is preferred to every option the ballot leaves unranked; two unranked options
    are not compared."""
    beats = {a: {b: 0 for b in keys if b != a} for a in keys}
    for ranking in rankings:
        position = {key: index for index, key in enumerate(ranking)}
        for a in keys:
            for b in keys:
                if a != b and a in position and (b not in position or position[a] < position[b]):
                    beats[a][b] += 1
    for a in keys:
        if all(beats[a][b] > beats[b][a] for b in keys if b != a):
            return a
    return None


# --- the result ---------------------------------------------------------------------------------


def _leaders(keys: tuple[str, ...], counts: dict) -> list[str]:
    best = max(counts[key] for key in keys)
    return [key for key in keys if counts[key] == best]


def outcome_of(
    rules: Rules,
    *,
    counts: dict,
    total: int,
    quorum_votes: int | None,
    quorum_share: int | None,
    eligible: int | None,
    ballots: list[dict] | None = None,
) -> dict:
    """The result of a kind other than `vote` (that one is tally.outcome_compute): {result, reason,
    ...}. Ranked choice needs the `ballots` (at closing); without them it has no result yet.

    reason: `quorum`, `no_votes`, `block` and `consent` (consent), `tie`, `plurality`
    (approval, meeting, dot: most chosen / most points), `score` (highest average), `runoff`."""
    counts = counts_complete(list(rules.keys), counts)
    if quorum_missing(total=total, quorum_votes=quorum_votes, quorum_share=quorum_share, eligible=eligible):
        return {"result": "refused", "reason": "quorum"}
    if total == 0:
        return {"result": "refused", "reason": "no_votes"}
    if rules.kind == CONSENT:
        if counts["block"]:
            return {"result": "refused", "reason": "block", "blocks": counts["block"]}
        agree, disagree = counts["agree"], counts["disagree"]
        adopted = agree > 0 and agree * 100 > rules.majority * (agree + disagree)
        return {"result": "adopted" if adopted else "refused", "reason": "consent", "blocks": 0}
    if rules.kind == RANKED:
        if ballots is None:
            return {"result": None, "reason": "pending"}
        rankings = [ballot["ranking"] for ballot in ballots]
        runoff = instant_runoff(list(rules.keys), rankings)
        outcome = {"rounds": runoff["rounds"], "condorcet_winner": condorcet_winner(list(rules.keys), rankings)}
        if runoff["winner"] is None:
            return {"result": "refused", "reason": "tie", "tied": runoff["tied"] or [], **outcome}
        return {"result": "adopted", "reason": "runoff", "winner": runoff["winner"], **outcome}
    leaders = _leaders(rules.keys, counts)
    extra: dict = {}
    if rules.kind == SCORE:
        extra["averages"] = averages(rules, counts, total)
    if len(leaders) > 1:
        return {"result": "refused", "reason": "tie", "tied": leaders, **extra}
    reason = "score" if rules.kind == SCORE else "plurality"
    return {"result": "adopted", "reason": reason, "winner": leaders[0], **extra}


def averages(rules: Rules, counts: dict, total: int) -> dict[str, float]:
    """Score: each option's mean score (every voter scores every option)."""
    return {key: round(counts.get(key, 0) / total, 3) if total else 0.0 for key in rules.keys}
