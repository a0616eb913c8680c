"""Frame scripts for the socket fuzz tests: mostly valid commands on the example's own topics, some bent.

A script is a list of frame templates; `$room`, `$event`, `$proposal`, `$message` are
resolved when played against a `World` (the example's own topics and the messages it posted).
Each frame is followed by a `ping` so its answers are known; `play` returns what the server
answered and accepted, for the caller to hold against the database.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import strategies as st

WRITES = ("post", "edit", "delete", "rsvp", "vote", "amend", "checkin")
ANSWERS = {"ok", "error", "subscribed", "unsubscribed", "pong", "event", "state", "typing"}

junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True),
        st.text(max_size=40),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
body = st.text(min_size=1, max_size=300).filter(lambda text: text.strip() != "")
own_topic = st.sampled_from(["$room", "$event", "$proposal"])
topic = st.one_of(
    own_topic,
    own_topic,
    st.sampled_from(["$private", "room:999999999", "x:1", "room:0", "room:1\n", "event:-1"]),
    junk,
)

valid_frames = st.one_of(
    st.fixed_dictionaries({"type": st.just("post"), "topic": st.just("$room"), "body": body}),
    st.fixed_dictionaries(
        {"type": st.just("post"), "topic": st.just("$room"), "body": body, "reply_to": st.just("$message")}
    ),
    st.fixed_dictionaries(
        {"type": st.just("edit"), "topic": st.just("$room"), "message": st.just("$message"), "body": body}
    ),
    st.fixed_dictionaries({"type": st.just("delete"), "topic": st.just("$room"), "message": st.just("$message")}),
    st.fixed_dictionaries(
        {
            "type": st.just("rsvp"),
            "topic": st.just("$event"),
            "status": st.sampled_from(["going", "interested", "declined"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("vote"),
            "topic": st.just("$proposal"),
            "choice": st.sampled_from(["up", "down", "white", "uncomplet"]),
        }
    ),
    st.fixed_dictionaries({"type": st.just("amend"), "topic": st.just("$proposal"), "body": body}),
    st.fixed_dictionaries(
        {"type": st.just("checkin"), "topic": st.just("$event"), "code": st.text(min_size=1, max_size=16)}
    ),
    st.fixed_dictionaries({"type": st.sampled_from(["subscribe", "unsubscribe", "typing"]), "topic": own_topic}),
    st.fixed_dictionaries({"type": st.just("subscribe"), "topic": own_topic, "since": st.integers(-5, 50)}),
)


@st.composite
def bent(draw, frames=valid_frames) -> dict:
    """A valid frame, or one with a field dropped, replaced by junk, added, or its topic changed."""
    frame = dict(draw(frames))
    how = draw(st.sampled_from(["keep", "keep", "keep", "drop", "junk", "extra", "topic"]))
    keys = sorted(frame)
    if how == "drop":
        del frame[draw(st.sampled_from(keys))]
    elif how == "junk":
        frame[draw(st.sampled_from(keys))] = draw(junk)
    elif how == "extra":
        frame[draw(st.text(max_size=10))] = draw(junk)
    elif how == "topic":
        frame["topic"] = draw(topic)
    return frame


# Half the scripts start with a post, so edits, deletes and replies have a message of their own.
FIRST_POST = {"type": "post", "topic": "$room", "body": "premier message"}
scripts = st.tuples(st.booleans(), st.lists(bent(), min_size=1, max_size=8)).map(
    lambda drawn: ([FIRST_POST] if drawn[0] else []) + drawn[1]
)


@dataclass
class World:
    """The example's own topics (and a private room it may not read)."""

    room: str
    event: str
    proposal: str
    private: str
    messages: list[int] = field(default_factory=list)

    def resolve(self, value: object) -> object:
        if isinstance(value, str) and value.startswith("$"):
            if value == "$message":
                return self.messages[-1] if self.messages else 1
            return getattr(self, value[1:], value)
        return value


@dataclass
class Outcome:
    """What the server answered: every reply, and the writes it accepted (kind -> count)."""

    replies: list[dict] = field(default_factory=list)
    accepted: Counter = field(default_factory=Counter)
    answered: Counter = field(default_factory=Counter)
    last_ok: dict = field(default_factory=dict)


async def play(socket, world: World, script: list[dict]) -> Outcome:
    """Send each frame (refs made unique), then a ping; collect the answers up to its pong.

    `socket.exchange(text, ping_ref)` sends the text and a ping and returns the frames received
    until that ping's pong (excluded)."""
    outcome = Outcome()
    for index, template in enumerate(script):
        frame = {key: world.resolve(value) for key, value in template.items()}
        if frame.get("type") in WRITES and "ref" not in frame:
            frame["ref"] = uuid.uuid4().hex
        ping_ref = f"after-{index}"
        replies = await socket.exchange(json.dumps(frame), ping_ref)
        for reply in replies:
            assert reply.get("type") in ANSWERS, reply
            if reply["type"] == "error":
                assert reply["code"] != "internal", (frame, reply)
                assert isinstance(reply.get("message"), str) and reply["message"], reply
                outcome.answered[f"error:{reply['code']}"] += 1
            if reply["type"] == "ok" and reply.get("ref") == frame.get("ref"):
                kind = frame["type"]
                outcome.accepted[kind] += 1
                outcome.last_ok[kind] = reply["data"]
                if kind == "post":
                    world.messages.append(reply["data"]["id"])
        outcome.replies.extend(replies)
        kind = frame.get("type")
        outcome.answered[kind if kind in WRITES or kind in ("subscribe", "unsubscribe", "typing") else "other"] += 1
    return outcome
