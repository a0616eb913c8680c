"""State deltas (PROTOCOL.md, "State deltas"): a socket that subscribed with `deltas: true` gets a
`state` as what changed since the flush it last got, and rebuilds exactly the snapshot; every other
socket, and any socket that cannot hold the base, gets the whole snapshot."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime import fanout
from realtime.fanout.topic_table import StateSlot
from realtime.frames import dumps, loads, state_delta, state_delta_apply, state_frame, state_frame_apply

TOPIC = "debate:42"


def _question(i: int, upvotes: int = 0, body: str | None = None) -> dict:
    return {"id": i, "body": body or f"Question {i} ?", "upvotes": upvotes, "pinned": False, "at": f"t{i}"}


_items = st.lists(
    st.builds(_question, st.integers(1, 30), st.integers(0, 50), st.sampled_from(["a", "b", "Quand ?"])),
    max_size=25,
    unique_by=lambda q: q["id"],
)


@given(before=_items, after=_items, version=st.integers(0, 10**6))
def test_any_snapshot_is_rebuilt_exactly_from_the_one_before_and_its_delta(before, after, version):
    old = {"items": before, "count": len(before), "version": version}
    new = {"items": after, "count": len(after), "version": version + 1}
    delta = state_delta(old, new)
    assert delta is not None
    assert state_delta_apply(old, delta) == new


def test_a_delta_carries_only_what_changed():
    old = {"items": [_question(1, 5), _question(2, 3), _question(3, 1)], "count": 3, "version": 7}
    new = {"items": [_question(2, 6), _question(1, 5), _question(4)], "count": 3, "version": 8}
    assert state_delta(old, new) == {
        "count": 3,
        "version": 8,
        "order": [2, 1, 4],
        "changed": [{"id": 2, "upvotes": 6}, _question(4)],
    }


def _hand(arrival: int, user: str) -> dict:
    return {"id": arrival, "user": user, "raised_at": f"t{arrival}", "turns": 0, "spoken": 0.0}


@given(
    before=st.lists(st.integers(1, 40), max_size=30, unique=True),
    after=st.lists(st.integers(1, 40), max_size=30, unique=True),
)
def test_the_floors_queue_is_rebuilt_exactly_from_its_delta(before, after):
    """The floor's `queue` (its `hands`, in the fairness order) travels as a delta too, naming its list."""
    old = {"current": None, "hands": [_hand(a, f"u{a}") for a in before], "count": len(before), "version": 1}
    new = {"current": {"user": "x"}, "hands": [_hand(a, f"u{a}") for a in after], "count": len(after), "version": 2}
    delta = state_delta(old, new)
    assert delta is not None and delta["list"] == "hands" and "hands" not in delta
    assert state_delta_apply(old, delta) == new
    assert state_delta_apply({"items": old["hands"], "version": 1}, delta) is None  # not the list it names


def test_a_hand_raised_in_a_long_queue_is_a_small_delta():
    old = {"current": None, "hands": [_hand(a, f"person-{a}") for a in range(1, 201)], "count": 200, "version": 9}
    new = {**old, "hands": [*old["hands"], _hand(201, "person-201")], "count": 201, "version": 10}
    delta = state_delta(old, new)
    assert delta["changed"] == [_hand(201, "person-201")] and delta["order"] == list(range(1, 202))
    assert len(dumps(delta)) * 4 < len(dumps(new))


@pytest.mark.parametrize(
    "old, new",
    [
        ({"hands": [], "version": 1}, {"hands": [{"user": "a"}], "version": 2}),  # hands without ids
        ({"hands": [], "version": 1}, {"items": [], "version": 2}),  # not the same list
        ({"items": [{"n": 1}], "version": 1}, {"items": [{"n": 2}], "version": 2}),  # items without ids
        ({"items": [_question(1)], "version": 1}, {"items": [_question(1), _question(1)], "version": 2}),
        ({"items": [_question(1)], "version": 1}, {"items": [{**_question(1), "extra": 1}], "version": 2}),
    ],
)
def test_snapshots_a_delta_cannot_describe_go_whole(old, new):
    assert state_delta(old, new) is None


def test_a_delta_needs_the_snapshot_it_was_made_on():
    delta = state_delta({"items": [_question(1)], "version": 1}, {"items": [_question(1), _question(2)], "version": 2})
    assert state_delta_apply(None, delta) is None
    assert state_delta_apply({"items": [], "version": 0}, {**delta, "changed": []}) is None


class Recording:
    def __init__(self) -> None:
        self.socket_id = "test"
        self.frames: list[dict] = []
        self.writes: list[bytes] = []  # what each call of the writer of prepared frames wrote

    async def send_text(self, text: str) -> None:
        self.frames.append(loads(text))

    def prepared_sender(self):
        return self.send_prepared

    def send_prepared(self, prepared) -> bool:
        """As under daphne: one frame, or several for this socket in one write (`PreparedFrames`)."""
        self.writes.append(prepared.payloadHybi)
        for part in getattr(prepared, "parts", (prepared,)):
            assert part.payloadHybi.endswith(part.payload)  # a WebSocket frame of that text
            self.frames.append(loads(part.payload))
        return True

    def rebuilt(self) -> list[dict]:
        """Every snapshot this socket held, rebuilt from its frames as a client does."""
        held, out = None, []
        for frame in self.frames:
            held = state_frame_apply(held, frame)
            assert held is not None, "a delta arrived whose base this socket does not hold"
            out.append(held)
        return out


@pytest.fixture
async def hub():
    yield fanout.process_hub()
    await fanout.process_hub_stop()


async def _attach(hub, *, deltas: bool) -> Recording:
    socket = Recording()
    sub = fanout.Subscription(socket, TOPIC, deltas=deltas)
    await hub.attach(sub)
    await sub.go_live(0)
    return socket


def _cache(served, data: dict) -> None:
    """What the hub does on a snapshot's arrival, short of scheduling the flush (the test flushes)."""
    slot = served.states.setdefault("questions", StateSlot())
    slot.version, slot.text = data["version"], state_frame(topic=TOPIC, kind="questions", data=data)


def _snapshot(version: int, upvotes: list[int]) -> dict:
    items = sorted((_question(i + 1, n) for i, n in enumerate(upvotes)), key=lambda q: -q["upvotes"])
    return {"items": items, "count": len(items), "version": version}


@pytest.mark.django_db(transaction=True)
async def test_the_hub_sends_deltas_only_to_sockets_that_asked_and_hold_the_base(hub, monkeypatch):
    from realtime.fanout import snapshots

    async def no_read(function, topic):
        raise AssertionError("the slot holds the state: no database read")

    monkeypatch.setattr(snapshots, "db_read", no_read)
    deltas, whole = await _attach(hub, deltas=True), await _attach(hub, deltas=False)
    served = hub.table.get(TOPIC)
    sent = []

    async def flush(version: int, upvotes: list[int]) -> None:
        data = _snapshot(version, upvotes)
        sent.append(data)
        _cache(served, data)
        await hub.snapshots.flush([(served, "questions")])

    upvotes = [0] * 40
    await flush(1, upvotes)
    late = Recording()
    for version in range(2, 8):
        upvotes[version] += version
        await flush(version, upvotes)
        if version == 3:  # a socket that arrives now gets the slot's text, then deltas on it
            sub = fanout.Subscription(late, TOPIC, deltas=True)
            await hub.attach(sub)
            await sub.go_live(0)
            await hub.state_for_new_subscriber(served, sub)

    assert [f.get("delta", False) for f in deltas.frames] == [False] + [True] * 6
    assert [f.get("delta", False) for f in whole.frames] == [False] * 7
    assert [f.get("delta", False) for f in late.frames] == [False] + [True] * 4
    assert deltas.rebuilt() == whole.rebuilt() == sent
    assert late.rebuilt() == sent[2:]
    assert len(deltas.frames[-1]["data"]["changed"]) == 1  # one question moved: one change, not 40

    # A socket that missed a flush (it was superseded there) holds no base: the next one is whole.
    sub = next(s for s in served.subscribers if s.socket is deltas)
    sub.state_serials["questions"] = -1
    upvotes[0] = 99
    await flush(8, upvotes)
    assert deltas.frames[-1].get("delta") is None and deltas.frames[-1]["data"] == sent[-1]
    upvotes[1] = 98
    await flush(9, upvotes)
    assert deltas.frames[-1]["delta"] is True and deltas.rebuilt()[-1] == sent[-1]


@pytest.mark.django_db(transaction=True)
async def test_a_newer_snapshot_cached_during_a_flush_is_not_announced_by_it(hub):
    """A subscribe can cache a newer snapshot while the flush loop waits on a slow socket: the
    sockets after it still get the flushed text with its own version, then the newer one."""

    class Slow(Recording):
        def prepared_sender(self):
            return None  # the socket's own path, which yields

        async def send_text(self, text: str) -> None:
            await asyncio.sleep(0)
            if served.states["questions"].version == 2:
                _cache(served, _snapshot(3, [3]))  # what a subscribe's own read does meanwhile
            self.frames.append(loads(text))

    slow, other = Slow(), Slow()
    for socket in (slow, other):
        sub = fanout.Subscription(socket, TOPIC, deltas=True)
        await hub.attach(sub)
        await sub.go_live(0)
    served = hub.table.get(TOPIC)
    _cache(served, _snapshot(2, [2]))
    await hub.snapshots.flush([(served, "questions")])
    assert [f["data"]["version"] for f in slow.frames + other.frames] == [2, 2]
    assert all(s.state_versions["questions"] == 2 for s in served.subscribers)


@pytest.mark.django_db(transaction=True)
async def test_the_first_flush_after_a_crowd_subscribed_is_a_delta_on_what_they_got(hub):
    """A debate opens: sockets that take deltas subscribe and get the snapshot read for them (never
    flushed here); the next flush sends them a delta on it, not the whole ranking again. A socket
    without deltas gets the whole snapshot, as always."""
    served = None
    sockets = []
    for deltas in (True, True, False):
        socket = Recording()
        sub = fanout.Subscription(socket, TOPIC, deltas=deltas)
        await hub.attach(sub)
        await sub.go_live(0)
        served = hub.table.get(TOPIC)
        if not served.states:
            _cache(served, _snapshot(1, [0] * 40))  # what the subscribe's own read cached
        await hub.state_for_new_subscriber(served, sub)
        sockets.append(socket)
    _cache(served, _snapshot(2, [1] + [0] * 39))
    await hub.snapshots.flush([(served, "questions")])
    assert [[f.get("delta", False) for f in s.frames] for s in sockets] == [
        [False, True],
        [False, True],
        [False, False],
    ]
    assert len(sockets[0].frames[1]["data"]["changed"]) == 1
    assert sockets[0].rebuilt() == sockets[2].rebuilt() == [_snapshot(1, [0] * 40), _snapshot(2, [1] + [0] * 39)]
