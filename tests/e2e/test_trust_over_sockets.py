"""Findings 3 and 5 of issue #9 through two real daphne processes sharing Redis: a resident or a
member who arrives after a vote opened is refused over the socket, and no frame of a secret ballot,
on any socket of either process, pairs a voter with a choice.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

CHOICES = ["Kréol rouge", "Zanbrokal vert", "Samoussa bleu"]  # keys c1, c2, c3


def tally_state(topic: str, predicate=lambda data: True):
    return lambda f: f["type"] == "state" and f["kind"] == "tally" and f["topic"] == topic and predicate(f["data"])


async def vote(socket: LiveSocket, topic: str, choice: str) -> dict:
    return await socket.request({"type": "vote", "topic": topic, "choice": choice})


def create_commune(stack, insee: str) -> None:
    stack.run_python(
        f"""
from communes.models import Commune
Commune.objects.create(insee={insee!r}, name="Saint-Denis", postal_codes=["97400"], department="974")
print(json.dumps(True))
"""
    )


def declare_home(stack, index: int, token: str, insee: str) -> None:
    with stack.http(index, token) as http:
        response = http.patch("/api/auth/me", json={"home_commune": insee})
        assert response.status_code == 200 and response.json()["home_commune"] == insee, response.text


async def test_late_residents_and_late_members_are_refused_over_the_socket(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_mayor), (_, t_early), (_, t_second), (_, t_late), (_, t_joiner) = stack.create_users(5)
    create_commune(stack, "97411")
    for token in (t_early, t_second):
        declare_home(stack, 0, token, "97411")
    with stack.http(0, t_mayor) as http:
        created = http.post(
            "/api/proposals",
            json={"title": "Budget participatif", "body": "…", "commune": "97411", "eligibility": "residents"},
        )
        assert created.status_code == 201, created.text
        residents = created.json()
        room = http.post("/api/rooms", json={"name": "Conseil de quartier", "visibility": "public"}).json()
        created = http.post(
            "/api/proposals",
            json={"title": "Jardin partagé", "body": "…", "room": room["id"], "eligibility": "members"},
        )
        assert created.status_code == 201, created.text
        members = created.json()
    # Declared once the vote is open: outside its electorate, though the declaration itself is accepted.
    declare_home(stack, 1, t_late, "97411")
    with stack.http(1, t_joiner) as http:
        assert http.post(f"/api/rooms/{room['id']}/join").status_code == 200

    async with (
        await LiveSocket.open(stack.ws_url(0)) as watcher,
        await LiveSocket.open(stack.ws_url(0), t_early) as early,
        await LiveSocket.open(stack.ws_url(1), t_late) as late,
        await LiveSocket.open(stack.ws_url(0), t_mayor) as owner,
        await LiveSocket.open(stack.ws_url(1), t_joiner) as joiner,
    ):
        assert (await watcher.subscribe(residents["topic"]))["type"] == "subscribed"
        assert (await vote(early, residents["topic"], "up"))["type"] == "ok"
        refused = await vote(late, residents["topic"], "up")
        assert refused["type"] == "error" and refused["code"] == "forbidden", refused
        await watcher.wait_for(tally_state(residents["topic"], lambda d: d["total"] == 1))
        await watcher.request({"type": "ping"})
        last = [f for f in watcher.frames if tally_state(residents["topic"])(f)][-1]["data"]
        assert last["eligible"] == 2 and last["total"] == 1 and last["counts"]["up"] == 1
        assert last["electorate"]["rule"] == "residents_declared" and last["electorate"]["fixed"] is True
        assert last["electorate"]["size"] == 2

        assert (await vote(owner, members["topic"], "up"))["type"] == "ok"
        refused = await vote(joiner, members["topic"], "up")
        assert refused["type"] == "error" and refused["code"] == "forbidden", refused
    with stack.http(1) as http:
        tally = http.get(f"/api/proposals/{members['id']}").json()["tally"]
        assert (
            tally["total"] == 1
            and tally["electorate"]["rule"] == "members_at_opening"
            and tally["electorate"]["size"] == 1
        )


# --- finding 5 --------------------------------------------------------------------------------


def leaks(text: str, username: str, choice_key: str) -> bool:
    """Whether `text` names both this voter and their choice (its key or its label)."""
    label = CHOICES[int(choice_key[1:]) - 1]
    names_voter = re.search(rf"\b{re.escape(username)}\b", text) is not None
    names_choice = re.search(rf"\b{choice_key}\b", text) is not None or label in text
    return names_voter and names_choice


TIMED_KEYS = {"at", "voted_at", "created_at", "updated_at", "cast_at", "ts", "timestamp"}


def timed_fields(value, path: str = "") -> list[str]:
    """Paths of date-like fields inside a frame's `data` (a ballot must carry no time)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in timed_fields(v, f"{path}.{k}")] + [
            f"{path}.{k}" for k in value if k in TIMED_KEYS
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in timed_fields(v, f"{path}[{i}]")]
    return []


async def test_no_frame_on_either_process_pairs_a_secret_voter_with_a_choice(live_stack):
    stack = live_stack(processes=2, redis=True)
    (_, t_author), *pairs = stack.create_users(7)
    voters = {name: (token, f"c{i % 3 + 1}") for i, (name, token) in enumerate(pairs)}  # 2 of each
    with stack.http(0, t_author) as http:
        room = http.post("/api/rooms", json={"name": "Conseil citoyen", "visibility": "public"}).json()
        created = http.post(
            "/api/proposals",
            json={
                "title": "Couleur du bus",
                "body": "…",
                "room": room["id"],
                "choices": CHOICES,
                "anonymous": True,
                "can_change": True,
            },
        )
        assert created.status_code == 201, created.text
        proposal = created.json()
    topic = proposal["topic"]
    watchers = [await LiveSocket.open(stack.ws_url(i)) for i in (0, 1)]
    author = await LiveSocket.open(stack.ws_url(1), t_author)
    sockets = {
        name: await LiveSocket.open(stack.ws_url(i % 2), token) for i, (name, (token, _)) in enumerate(voters.items())
    }
    try:
        for socket in [*watchers, author, *sockets.values()]:
            assert (await socket.subscribe(topic))["type"] == "subscribed"
        # Everyone votes c1, then changes to their own choice (the old choice must move).
        for name, socket in sockets.items():
            assert (await vote(socket, topic, "c1"))["type"] == "ok"
            assert (await vote(socket, topic, voters[name][1]))["type"] == "ok"
        expected = {"c1": 2, "c2": 2, "c3": 2}
        for socket in [*watchers, author, *sockets.values()]:
            final = await socket.wait_for(tally_state(topic, lambda d: d["counts"] == expected))
            assert final["data"]["total"] == 6
            await socket.request({"type": "ping"})
        with stack.http(1, t_author) as http:
            assert http.get(f"/api/proposals/{proposal['id']}").json()["tally"]["counts"] == expected
        ballot_ids = stack.run_python(
            f"""
from proposals.models import SecretBallot
print(json.dumps([str(b) for b in SecretBallot.objects.filter(proposal_id={proposal["id"]}).values_list("id", flat=True)]))
"""
        )
        assert len(ballot_ids) == 6

        recorded = {"watcher 0": watchers[0], "watcher 1": watchers[1], "author": author, **sockets}
        problems, frames = [], 0
        for where, socket in recorded.items():
            for index, frame in enumerate(socket.frames):
                frames += 1
                text = json.dumps(frame, ensure_ascii=False)
                for name, (_, choice) in voters.items():
                    # A voter's own reply may echo their choice; it must still not carry their name.
                    if leaks(text, name, choice):
                        problems.append(f"{where} frame {index} pairs {name} with {choice}")
                problems += [f"{where} frame {index} shows a ballot id" for b in ballot_ids if b in text]
                if frame["type"] in ("ok", "state") or frame.get("kind", "").startswith("vote"):
                    problems += [f"{where} frame {index} has {p}" for p in timed_fields(frame.get("data"))]
        assert frames > 7 * 3
        assert problems == []
    finally:
        for socket in [*watchers, author, *sockets.values()]:
            await socket.close()


async def test_writes_to_a_private_room_answer_like_a_missing_one(live_stack):
    """Finding 9 (private ids listed): room ids are sequential, so an outsider's write to a private
    room, to its debate or to its proposal answers exactly as one to a room that does not exist,
    on the socket and over HTTP; `forbidden` stays for a member who reads but may not write."""
    stack = live_stack()
    (_, t_owner), (muted_name, t_muted), (_, t_outsider) = stack.create_users(3)
    with stack.http(0, t_owner) as http:
        room = http.post("/api/rooms", json={"name": "Bureau", "visibility": "private"}).json()
        invited = http.post(f"/api/rooms/{room['id']}/invitations", json={"username": muted_name})
        assert invited.status_code == 201, invited.text
        proposal = http.post("/api/proposals", json={"title": "Ordre du jour", "body": "…", "room": room["id"]}).json()
    with stack.http(0, t_muted) as http:
        invitation = http.get("/api/rooms/invitations/pending").json()[0]["id"]
        assert http.post(f"/api/rooms/invitations/{invitation}/accept").status_code == 200
    with stack.http(0, t_owner) as http:
        muted = http.post(
            f"/api/moderation/rooms/{room['id']}/sanctions", json={"user": muted_name, "kind": "mute", "reason": "test"}
        )
        assert muted.status_code == 200, muted.text
    missing = room["id"] + 1000
    writes = {
        "post": lambda rid: {"type": "post", "topic": f"room:{rid}", "body": "bonjour"},
        "react": lambda rid: {"type": "react", "topic": f"room:{rid}", "message": 1, "emoji": "👍"},
        "ask": lambda rid: {"type": "ask", "topic": f"debate:{rid}", "body": "Une question ?"},
    }
    async with await LiveSocket.open(stack.ws_url(0), t_outsider) as outsider:
        for name, frame in writes.items():
            private, absent = await outsider.request(frame(room["id"])), await outsider.request(frame(missing))
            assert private["type"] == absent["type"] == "error", (name, private, absent)
            assert private["code"] == absent["code"] == "not_found", (name, private, absent)
            assert private["message"] == absent["message"].replace(str(missing), str(room["id"])), (name, private)
        voted = await outsider.request({"type": "vote", "topic": proposal["topic"], "choice": "yes"})
        assert voted["type"] == "error" and voted["code"] == "not_found", voted
        subscribed = await outsider.request({"type": "subscribe", "topic": f"room:{room['id']}"})
        assert subscribed["code"] == "not_found", subscribed
    with stack.http(0, t_outsider) as http:
        private = http.post(f"/api/rooms/{room['id']}/messages", json={"body": "bonjour"})
        absent = http.post(f"/api/rooms/{missing}/messages", json={"body": "bonjour"})
        assert private.status_code == absent.status_code == 404, (private.text, absent.text)
        assert private.json()["code"] == "not_found"
    async with await LiveSocket.open(stack.ws_url(0), t_muted) as member:
        refused = await member.request(writes["post"](room["id"]))
        assert refused["type"] == "error" and refused["code"] == "forbidden", refused
        assert "muted" in refused["message"]
