"""State ticks (realtime/fanout/snapshots.py): the snapshots that changed leave at the process's
next tick of REALTIME_STATE_INTERVAL, all together, so a socket that follows several of them (a
debate page: its room, questions and floor) gets their frames in one write; and a snapshot still
leaves at most once per interval."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from realtime import fanout
from realtime.fanout.topic_table import StateSlot
from realtime.frames import PreparedFrames, broadcast_prepare, loads, state_frame

pytestmark = pytest.mark.django_db(transaction=True)
QUESTIONS, FLOOR = "debate:42", "floor:42"


class Socket:
    """Stands in for a consumer under daphne: records each write of prepared frames."""

    def __init__(self, expected: int) -> None:
        self.socket_id = "test"
        self.writes: list[list[dict]] = []  # the frames of each write, in order
        self.written: list[object] = []  # what was handed to the writer, each time
        self.expected = expected
        self.done = asyncio.Event()
        self.wrote = asyncio.Event()  # set at each write

    async def send_text(self, text: str) -> None:
        raise AssertionError("a socket with a writer of prepared frames gets them through it")

    def prepared_sender(self):
        return self.send_prepared

    def send_prepared(self, prepared) -> None:
        self.written.append(prepared)
        parts = prepared.parts if isinstance(prepared, PreparedFrames) else (prepared,)
        assert prepared.payloadHybi == b"".join(p.payloadHybi for p in parts)  # one write's bytes
        self.writes.append([loads(p.payload) for p in parts])
        self.wrote.set()
        if sum(map(len, self.writes)) >= self.expected:
            self.done.set()


@pytest.fixture
async def hub(settings):
    settings.REALTIME_STATE_INTERVAL = 0.05
    hub = fanout.process_hub()
    ticks: list[int] = []
    flushed = hub.snapshots.tick

    async def tick(number: int) -> None:
        ticks.append(number)
        await flushed(number)

    hub.snapshots.tick = tick
    hub.ticks = ticks
    yield hub
    await fanout.process_hub_stop()


async def _follow(hub, socket: Socket, *topics: str) -> None:
    for topic in topics:
        sub = fanout.Subscription(socket, topic)
        await hub.attach(sub)
        await sub.go_live(0)


def _state(topic: str, kind: str, version: int) -> tuple[str, int, str]:
    return kind, version, state_frame(topic=topic, kind=kind, data={"version": version, "topic": topic})


async def test_the_snapshots_of_one_tick_reach_a_socket_in_one_write(hub):
    page, questions_only = Socket(expected=2), Socket(expected=1)
    await _follow(hub, page, QUESTIONS, FLOOR)
    await _follow(hub, questions_only, QUESTIONS)
    for topic, kind in ((QUESTIONS, "questions"), (FLOOR, "queue")):
        hub.snapshots.receive(hub.table.get(topic), *_state(topic, kind, 1))
    (due,) = hub.snapshots._due.values()  # both wait for the same tick
    assert due == [(QUESTIONS, "questions"), (FLOOR, "queue")]
    await asyncio.wait_for(asyncio.gather(page.done.wait(), questions_only.done.wait()), 10)

    assert [[(f["topic"], f["kind"]) for f in write] for write in page.writes] == [
        [(QUESTIONS, "questions"), (FLOOR, "queue")]
    ]
    assert [[f["topic"] for f in write] for write in questions_only.writes] == [[QUESTIONS]]
    assert len(hub.ticks) == 1


async def test_sockets_that_get_the_same_frames_share_one_framing_of_them(hub):
    sockets = [Socket(expected=2) for _ in range(3)]
    for socket in sockets:
        await _follow(hub, socket, QUESTIONS, FLOOR)
    for topic, kind in ((QUESTIONS, "questions"), (FLOOR, "queue")):
        hub.snapshots.receive(hub.table.get(topic), *_state(topic, kind, 1))
    await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in sockets)), 10)
    (bundle,) = sockets[0].written
    assert isinstance(bundle, PreparedFrames)
    assert all(s.written == [bundle] for s in sockets)  # the same object: framed and joined once


async def test_a_snapshot_leaves_at_most_once_per_tick_and_its_newest_version(hub):
    socket = Socket(expected=2)
    await _follow(hub, socket, QUESTIONS)
    served = hub.table.get(QUESTIONS)
    hub.snapshots.receive(served, *_state(QUESTIONS, "questions", 1))
    await asyncio.wait_for(socket.wrote.wait(), 10)
    first = hub.ticks[0]
    # Three versions right after that tick: the newest leaves, at a later tick, alone.
    for version in (2, 3, 4):
        hub.snapshots.receive(served, *_state(QUESTIONS, "questions", version))
    (second,) = hub.snapshots._due
    assert second >= first + 1
    await asyncio.wait_for(socket.done.wait(), 10)
    assert [[f["data"]["version"] for f in write] for write in socket.writes] == [[1], [4]]
    assert hub.ticks == [first, second]


async def test_a_tick_skips_a_topic_no_longer_served_here(hub):
    gone, staying = Socket(expected=1), Socket(expected=1)
    await _follow(hub, gone, FLOOR)
    await _follow(hub, staying, QUESTIONS)
    for topic, kind in ((QUESTIONS, "questions"), (FLOOR, "queue")):
        hub.snapshots.receive(hub.table.get(topic), *_state(topic, kind, 1))
    (sub,) = hub.table.get(FLOOR).subscribers
    hub.detach(sub)
    assert FLOOR not in hub.table
    await asyncio.wait_for(staying.done.wait(), 10)
    assert gone.writes == [] and [[f["topic"] for f in w] for w in staying.writes] == [[QUESTIONS]]


def test_frames_for_one_socket_are_one_write_when_the_kernel_takes_them():
    """Under daphne (realtime.daphne_protocol): the bytes of every part in one `send`, or, behind a
    backlog, each part queued in its order."""
    from autobahn.websocket.protocol import WebSocketProtocol as Autobahn

    from realtime.daphne_protocol import raw_send
    from tests.realtime.test_daphne_protocol import _connect, _factory, _tcp_pair

    protocol = _connect(_factory())
    transport, peer = _tcp_pair()
    try:
        protocol.transport, protocol.socket_send = transport, raw_send(transport)
        protocol.state = Autobahn.STATE_OPEN
        one, two = broadcast_prepare('{"n":1}'), broadcast_prepare('{"n":2}')
        protocol.send_prepared(PreparedFrames([one, two]))
        assert peer.recv(1000) == one.payloadHybi + two.payloadHybi

        protocol.transport_paused = True  # the kernel's buffer is full: the parts wait, in order
        protocol.send_prepared(PreparedFrames([two, one]))
        assert list(protocol.outbound) == [two.payload, one.payload]
    finally:
        transport.socket.close()
        peer.close()


async def test_a_busy_topic_is_computed_at_the_half_ticks_and_a_quiet_one_at_once(hub, monkeypatch):
    """Where written: the first change of a quiet topic is computed at once; the changes after it,
    at the half-ticks between the state ticks, one compute per half-tick."""
    from realtime.fanout import snapshots

    socket = Socket(expected=3)
    await _follow(hub, socket, QUESTIONS)  # followed here: computed for this socket
    versions = iter(range(1, 100))
    computed = asyncio.Queue()

    async def compute(function, topic):
        version = next(versions)
        computed.put_nowait(version)
        return _state(topic, "questions", version)

    monkeypatch.setattr(snapshots, "db_read", compute)
    turns: list[int | None] = []
    run = hub.snapshots._compute_and_publish

    async def compute_and_publish(topic, turn):
        turns.append(turn)
        await run(topic, turn)

    hub.snapshots._compute_and_publish = compute_and_publish
    hub.snapshots.schedule(QUESTIONS)
    assert await asyncio.wait_for(computed.get(), 10) == 1
    first = hub.snapshots._next_compute[QUESTIONS]
    for _ in range(3):  # three writes within the interval: one compute, at the half-tick
        hub.snapshots.schedule(QUESTIONS)
    assert await asyncio.wait_for(computed.get(), 10) == 2
    hub.snapshots.schedule(QUESTIONS)
    assert await asyncio.wait_for(computed.get(), 10) == 3
    assert turns == [None, first, first + 1]
    await asyncio.wait_for(socket.done.wait(), 10)
    assert [f["data"]["version"] for write in socket.writes for f in write] == [1, 2, 3]


async def test_a_clock_that_went_back_does_not_hold_the_snapshots(hub):
    """The grid is on the wall clock: after a step back (NTP, a resumed virtual machine) a slot's
    last tick and a topic's next half-tick lie in the future; both start again from now."""
    socket = Socket(expected=1)
    await _follow(hub, socket, QUESTIONS)
    served = hub.table.get(QUESTIONS)
    interval = 0.05
    served.states.setdefault("questions", StateSlot()).sent_at = time.time() + 3600
    hub.snapshots.receive(served, *_state(QUESTIONS, "questions", 1))
    (tick,) = hub.snapshots._due
    assert tick <= math.ceil(time.time() / interval) + 1  # not an hour away
    await asyncio.wait_for(socket.done.wait(), 10)

    hub.snapshots._next_compute[FLOOR] = math.ceil(time.time() / interval) + 72_000  # an hour away
    later = []
    hub.loop.call_later = lambda delay, callback: later.append(delay)
    hub.snapshots.schedule(FLOOR)
    assert later == [0.0]  # at once
