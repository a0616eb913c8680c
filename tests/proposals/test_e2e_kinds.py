"""1,000 concurrent voters per ballot kind on two daphne processes + Redis (the PostgreSQL pass;
a smaller crowd on SQLite): every ballot acknowledged, both processes see the exact tally, a
recount of the stored ballots agrees, and closing gives the result the counting rules give.
For the dot vote, every changer sends two different ballots at once: whichever wins, nobody
ever holds more than the budget (the database's constraints, not only the service's check).

Built on the 1,000-voter harness of test_e2e.py (same stack, same socket helpers)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import websockets

from proposals import counting
from tests.live import LiveSocket
from tests.proposals.test_e2e import ON_POSTGRES

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

VOTERS = int(os.environ.get("E2E_KIND_VOTERS", 1000 if ON_POSTGRES else 120))
CHANGERS = VOTERS // 5
LABELS = ["Vélo", "Bus", "Tram", "Marche"]


def slots() -> list[dict]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    return [
        {
            "starts_at": (start + timedelta(hours=2 * i)).isoformat(),
            "ends_at": (start + timedelta(hours=2 * i + 1)).isoformat(),
        }
        for i in range(4)
    ]


KINDS = {
    "consent": {"kind": "consent"},
    "approval": {"kind": "approval", "choices": LABELS, "max_choices": 3},
    "ranked": {"kind": "ranked", "choices": LABELS},
    "score": {"kind": "score", "choices": LABELS},
    "dot": {"kind": "dot", "choices": LABELS, "points": 10},
    "meeting": {"kind": "meeting"},
}


def ballot_for(kind: str, i: int, keys: list[str]) -> dict:
    """A deterministic, varied ballot for voter `i` (changed ballots use i + 7)."""
    if kind == "consent":
        choice = ["agree", "agree", "abstain", "disagree", "block"][i % 5]
        return {"choice": choice, "reason": f"raison {i}"} if choice == "block" else {"choice": choice}
    if kind in ("approval", "meeting"):
        return {"choices": [k for j, k in enumerate(keys) if (i >> j) & 1][:3] or [keys[i % 4]]}
    if kind == "ranked":
        order = keys[i % 4 :] + keys[: i % 4]
        return {"ranking": order[: 1 + i % 4] if i % 3 else list(reversed(order))}
    if kind == "score":
        return {"scores": {k: (i + 2 * j) % 6 for j, k in enumerate(keys)}}
    return {"points": {keys[i % 4]: 1 + i % 7, keys[(i + 1) % 4]: 10 - (1 + i % 7) - i % 3}}


def canonical(kind: str, ballot: dict, rules: counting.Rules) -> dict:
    return counting.ballot_checked(rules, ballot)


async def open_all(stack, tokens: list[str]) -> list[LiveSocket]:
    """test_e2e.open_many's crowd, in batches of 50, each socket alternating between the two
    processes; a handshake the loaded server dropped (daphne gives a handshake 5 s) is retried
    as a client's reconnect would, at most 3 times."""

    async def one(index: int, token: str) -> LiveSocket:
        for attempt in range(3):
            try:
                return await LiveSocket.open(stack.ws_url(index % 2), token)
            except (OSError, websockets.exceptions.InvalidMessage, TimeoutError):
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    sockets: list[LiveSocket] = []
    for start in range(0, len(tokens), 50):
        batch = tokens[start : start + 50]
        sockets += await asyncio.gather(*(one(start + i, token) for i, token in enumerate(batch)))
    return sockets


async def vote(socket, topic: str, ballot: dict, retried: list[int]) -> dict:
    """As a client does (docs/PROTOCOL.md): a `rate_limited` answer ("the server is busy") is
    resent with the same ref after its `retry_after`. `retried` counts the resends."""
    frame = {"type": "vote", "topic": topic, "ref": uuid.uuid4().hex, **ballot}
    for _ in range(30):
        reply = await socket.request(frame, timeout=180)
        if reply["type"] != "error" or reply["code"] != "rate_limited":
            return reply
        retried.append(1)
        await asyncio.sleep(float(reply.get("retry_after") or 1))  # the protocol's back-off, not a wait for an event
    return reply


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_thousand_voters_per_kind_give_an_exact_tally(live_stack, kind):
    stack = live_stack(processes=2, redis=True)
    users = stack.create_users(VOTERS + 1, prefix=f"k{kind}")
    (_, author), voters = users[0], [token for _, token in users[1:]]
    fields = dict(KINDS[kind])
    if kind == "meeting":
        fields["slots"] = slots()
    with stack.http(0, author) as http:
        room = http.post("/api/rooms", json={"name": f"Conseil {kind}", "visibility": "public"}).json()
        created = http.post(
            "/api/proposals", json={"title": "Mobilité", "body": "Quel choix ?", "room": room["id"], **fields}
        )
        assert created.status_code == 201, created.text
        proposal = http.get(f"/api/proposals/{created.json()['id']}").json()
    topic, keys = proposal["topic"], [o["key"] for o in proposal["options"]]
    rules = counting.Rules(
        kind=kind,
        keys=tuple(keys),
        min_choices=proposal["ballot_rules"]["min_choices"],
        max_choices=proposal["ballot_rules"]["max_choices"],
        scale_min=proposal["ballot_rules"]["scale_min"],
        scale_max=proposal["ballot_rules"]["scale_max"],
        points_budget=proposal["ballot_rules"]["points"],
    )
    watchers = [await LiveSocket.open(stack.ws_url(i), author) for i in (0, 1)]
    for watcher in watchers:
        await watcher.subscribe(topic)
    sockets = await open_all(stack, voters)

    final = [canonical(kind, ballot_for(kind, i, keys), rules) for i in range(VOTERS)]
    started = time.monotonic()
    retried: list[int] = []
    replies = await asyncio.gather(*(vote(s, topic, b, retried) for s, b in zip(sockets, final, strict=True)))
    voted = time.monotonic() - started
    assert [r["type"] for r in replies] == ["ok"] * VOTERS, [r for r in replies if r["type"] != "ok"][:3]

    changers = range(0, VOTERS, VOTERS // CHANGERS)
    if kind == "dot":
        # Two different in-budget ballots at once from each changer: one wins, never both.
        pairs = [(ballot_for(kind, i + 7, keys), ballot_for(kind, i + 11, keys)) for i in changers]
        sends = [vote(sockets[i], topic, b, retried) for i, pair in zip(changers, pairs, strict=True) for b in pair]
        changes = await asyncio.gather(*sends)
    else:
        for i in changers:
            final[i] = canonical(kind, ballot_for(kind, i + 7, keys), rules)
        changes = await asyncio.gather(*(vote(sockets[i], topic, final[i], retried) for i in changers))
    assert {r["type"] for r in changes} == {"ok"}, [r for r in changes if r["type"] != "ok"][:3]

    stored = stack.run_python(
        f"""
from proposals import counting, selectors
from proposals.models import Proposal, Vote
p = Proposal.objects.get(id={proposal["id"]})
ballots = selectors.proposal_ballots(p)
counts, detail, total = counting.recount(counting.rules_of(p), ballots)
over = Vote.objects.filter(proposal=p, points__gt=p.points_budget or 0).count() if p.points_budget else 0
print(json.dumps({{"live": [p.counts, p.detail, p.total, p.points_cast], "recount": [counts, detail, total],
                  "spent": sum(counting.ballot_points(b) or 0 for b in ballots), "over": over}}))
"""
    )
    assert stored["live"][:3] == stored["recount"] and stored["live"][2] == VOTERS
    assert stored["live"][3] == stored["spent"] and stored["over"] == 0
    if kind == "dot":
        assert stored["spent"] <= 10 * VOTERS
        expected_counts = stored["recount"][0]
    else:
        expected_counts = counting.recount(rules, final)[0]
        assert stored["recount"][0] == expected_counts  # exactly the ballots last sent

    for watcher in watchers:  # both processes converge on the exact tally
        frame = await watcher.wait_for(
            lambda f: f["type"] == "state" and f["kind"] == "tally" and f["data"]["counts"] == expected_counts,
            timeout=60,
        )
        assert frame["data"]["total"] == VOTERS and frame["data"]["kind"] == kind

    with stack.http(1, author) as http:
        outcome = http.post(f"/api/proposals/{proposal['id']}/close").json()
    for watcher in watchers:
        closed = await watcher.wait_for(lambda f: f["type"] == "event" and f["kind"] == "proposal.closed", timeout=30)
        assert closed["data"]["counts"] == expected_counts and closed["data"]["result"] == outcome["result"]
    if kind != "dot":
        recomputed = counting.outcome_of(
            rules,
            counts=expected_counts,
            total=VOTERS,
            quorum_votes=None,
            quorum_share=None,
            eligible=None,
            ballots=final,
        )
        assert {k: outcome[k] for k in recomputed} == recomputed
    print(
        f"\n{kind}: {VOTERS} voters on {'PostgreSQL' if ON_POSTGRES else 'SQLite'}, 2 daphne + Redis: "
        f"{VOTERS} ballots acknowledged in {voted:.2f}s ({VOTERS / voted:.0f}/s), {len(changes)} changes, "
        f"{len(retried)} resends after rate_limited; "
        f"result {outcome['result']} ({outcome['reason']})"
    )
    await asyncio.gather(*(s.close() for s in sockets + watchers))
