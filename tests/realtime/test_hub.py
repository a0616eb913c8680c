"""The hub's promise in one process: in order, no gap, no duplicate — whatever order events arrive in."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from realtime import fanout
from realtime.fanout.items import EventArrived
from realtime.frames import loads
from realtime.models import Topic, TopicEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.synthetic_events]
TOPIC = "room:42"


class RecordingSocket:
    """Stands in for a consumer: records the texts the hub writes to it."""

    def __init__(self, expected: int) -> None:
        self.socket_id = "test:1"
        self.texts: list[str] = []
        self.expected = expected
        self.done = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.texts.append(text)
        if len(self.texts) >= self.expected:
            self.done.set()

    def prepared_sender(self):
        return self.send_prepared

    def send_prepared(self, prepared) -> bool:
        """The fan-out's path for a frame framed once for every socket (as under daphne)."""
        assert prepared.payloadHybi.endswith(prepared.payload)  # a WebSocket frame of that text
        self.texts.append(prepared.payload.decode())
        if len(self.texts) >= self.expected:
            self.done.set()
        return True


def committed_elsewhere(count: int) -> list[str]:
    """Events another process committed (and whose Redis publish we never saw)."""
    from django.utils import timezone

    from realtime.frames import event_frame

    frames = []
    for seq in range(1, count + 1):
        event = TopicEvent.objects.create(
            topic=TOPIC, seq=seq, kind="message.posted", data={"n": seq}, at=timezone.now()
        )
        frames.append(event_frame(topic=TOPIC, seq=seq, kind=event.kind, data=event.data, at=event.at))
    Topic.objects.update_or_create(name=TOPIC, defaults={"head": count})
    return frames


async def attached(hub, expected: int) -> RecordingSocket:
    """A socket following TOPIC on `hub`, live from seq 0."""
    socket = RecordingSocket(expected)
    sub = fanout.Subscription(socket, TOPIC)
    await hub.attach(sub)
    await sub.go_live(0)
    return socket


@pytest.fixture
async def live_sub():
    hub = fanout.process_hub()

    async def attach(expected: int) -> RecordingSocket:
        return await attached(hub, expected)

    yield hub, attach
    await fanout.process_hub_stop()


async def test_out_of_order_arrivals_leave_in_order(live_sub):
    hub, attach = live_sub
    socket = await attach(expected=3)
    frames = await database_sync_to_async(committed_elsewhere)(3)
    for seq in (3, 1, 2, 1, 3):  # reordered and duplicated, as from several publishers
        hub.submit(EventArrived(TOPIC, seq, frames[seq - 1]))
    await asyncio.wait_for(socket.done.wait(), 5)
    assert [loads(t)["seq"] for t in socket.texts] == [1, 2, 3]


async def test_a_lost_event_is_read_back_from_the_database(live_sub):
    hub, attach = live_sub
    socket = await attach(expected=3)
    frames = await database_sync_to_async(committed_elsewhere)(3)
    hub.submit(EventArrived(TOPIC, 3, frames[2]))  # 1 and 2 never arrive
    await asyncio.wait_for(socket.done.wait(), 5)
    assert [loads(t)["seq"] for t in socket.texts] == [1, 2, 3]


async def test_the_sweep_finds_events_nobody_published(live_sub):
    hub, attach = live_sub
    socket = await attach(expected=2)
    await database_sync_to_async(committed_elsewhere)(2)
    await hub.sweep()
    await asyncio.wait_for(socket.done.wait(), 5)
    assert [loads(t)["seq"] for t in socket.texts] == [1, 2]


def _stub_state(monkeypatch, results: list) -> list[str]:
    """Replace the state computation with one that answers `results` in turn (an AppError is
    raised, as db_read raises `rate_limited` when no database thread frees up in time)."""
    from realtime.fanout import snapshots

    calls: list[str] = []

    async def db_call(function, topic):
        calls.append(topic)
        await asyncio.sleep(0.01)  # a read in flight, so the subscribes of this moment pile up
        result = results[min(len(calls), len(results)) - 1]
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(snapshots, "db_read", db_call)
    return calls


async def test_new_subscribers_of_one_moment_share_one_state_read(live_sub, monkeypatch):
    hub, attach = live_sub
    calls = _stub_state(monkeypatch, [("presence", 7, '{"type":"state","n":7}')])
    sockets = [await attach(expected=1) for _ in range(30)]
    served = hub.table.get(TOPIC)
    subs = list(served.subscribers)
    await asyncio.gather(*(hub.state_for_new_subscriber(served, sub) for sub in subs))
    assert calls == [TOPIC]
    assert all(s.texts == ['{"type":"state","n":7}'] for s in sockets), [s.texts for s in sockets]


async def test_a_state_read_refused_busy_reaches_the_subscriber_later(live_sub, monkeypatch):
    from realtime.errors import AppError

    hub, attach = live_sub
    busy = AppError("rate_limited", "the server is busy; try again", retry_after=1)
    calls = _stub_state(monkeypatch, [busy, busy, ("presence", 3, '{"type":"state","n":3}')])
    socket = await attach(expected=1)
    served = hub.table.get(TOPIC)
    await hub.state_for_new_subscriber(served, next(iter(served.subscribers)))
    assert socket.texts == []  # refused: nothing yet, and the subscribe is not failed for it
    await asyncio.wait_for(socket.done.wait(), 10)  # recomputed (twice) and flushed to everyone
    assert socket.texts == ['{"type":"state","n":3}'] and len(calls) == 3


@pytest.fixture
def private_redis(settings):
    """A redis-server of the test's own on a free port, as REDIS_URL (the hub links to it)."""
    import subprocess

    from tests.live import free_port, wait_port

    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, process)
        settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
        yield settings.REDIS_URL
    finally:
        process.kill()
        process.wait(timeout=10)


STATE = ("questions", 5, '{"type":"state","topic":"room:42","kind":"questions","data":{"version":5}}')


async def test_a_snapshot_nobody_follows_anywhere_is_not_computed(private_redis, monkeypatch):
    """No socket of this process nor any other Redis-linked process follows the topic: the
    database is not asked (the moderators' questions while no moderator has the page open)."""
    calls = _stub_state(monkeypatch, [STATE])
    hub = fanout.process_hub()
    try:
        await asyncio.wait_for(hub.link.ready.wait(), 5)
        await hub.snapshots._compute_and_publish(TOPIC)
        assert calls == []
    finally:
        await fanout.process_hub_stop()


async def test_a_snapshot_followed_by_another_process_is_computed_and_published(private_redis, monkeypatch):
    import redis.asyncio as aioredis

    from realtime.fanout.wire import redis_channel

    calls = _stub_state(monkeypatch, [STATE])
    other = aioredis.Redis.from_url(private_redis)
    pubsub = other.pubsub()
    await pubsub.subscribe(redis_channel(TOPIC))  # another process's link serving the topic
    hub = fanout.process_hub()
    try:
        await asyncio.wait_for(hub.link.ready.wait(), 5)
        await hub.snapshots._compute_and_publish(TOPIC)
        assert calls == [TOPIC]
        message = None
        for _ in range(3):  # the subscribe confirmation reads as None first
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
            if message is not None:
                break
        assert message is not None and message["data"].decode() == f"Squestions|5|{STATE[2]}"
    finally:
        await fanout.process_hub_stop()
        await pubsub.aclose()
        await other.aclose()


async def test_a_snapshot_computes_once_per_interval_across_processes(private_redis, monkeypatch, settings):
    """The process that computes a topic's snapshot claims it in Redis for the interval: asked
    again within it (by its own writes or another process's), nobody computes it again."""
    import redis.asyncio as aioredis

    from realtime.fanout.wire import PROCESS_ID, state_claim_key

    settings.REALTIME_STATE_INTERVAL = 5.0  # the claim outlives the test
    calls = _stub_state(monkeypatch, [STATE])
    other = aioredis.Redis.from_url(private_redis)
    hub = fanout.process_hub()
    try:
        await asyncio.wait_for(hub.link.ready.wait(), 5)
        socket = await attached(hub, expected=1)
        await hub.snapshots._compute_and_publish(TOPIC)
        # The claim is read at once: it lasts 0.9 of the interval, and the snapshot reaches the
        # socket at the next tick, up to a whole interval later (by then the claim may be gone).
        assert await other.get(state_claim_key(TOPIC)) == PROCESS_ID.encode()
        assert 0 < await other.pttl(state_claim_key(TOPIC)) <= 5000
        await hub.snapshots._compute_and_publish(TOPIC)  # within the interval: not again
        assert calls == [TOPIC] and TOPIC in hub.snapshots._scheduled
        await asyncio.wait_for(socket.done.wait(), 2 * settings.REALTIME_STATE_INTERVAL)
        assert socket.texts[0] == STATE[2]
    finally:
        await fanout.process_hub_stop()
        await other.aclose()


async def test_a_snapshot_another_process_claimed_is_computed_here_when_the_claim_ends(private_redis, monkeypatch):
    """Both processes of a debate wrote: the one holding the claim computes this interval, the
    other does not compute it again now. That claim may predate this process's write, so this
    one computes once it ends."""
    import redis.asyncio as aioredis

    from realtime.fanout import snapshots
    from realtime.fanout.wire import state_claim_key

    calls = _stub_state(monkeypatch, [STATE])
    stub = snapshots.db_read
    computed_again = asyncio.Event()
    seen = 10**6  # set below, once the other process holds the claim

    async def counted(function, topic):
        result = await stub(function, topic)
        if len(calls) > seen:
            computed_again.set()
        return result

    monkeypatch.setattr(snapshots, "db_read", counted)
    other = aioredis.Redis.from_url(private_redis)
    hub = fanout.process_hub()
    try:
        await asyncio.wait_for(hub.link.ready.wait(), 5)
        await attached(hub, expected=1)
        await other.set(state_claim_key(TOPIC), "another-process", px=300)
        seen = len(calls)  # the subscribe's own read, if it was made by now
        await hub.snapshots._compute_and_publish(TOPIC)
        assert len(calls) == seen  # left to the other process for now…
        assert TOPIC in hub.snapshots._scheduled  # …and tried again here when its claim ends
        await asyncio.wait_for(computed_again.wait(), 5)
        assert calls[-1] == TOPIC
    finally:
        await fanout.process_hub_stop()
        await other.aclose()


async def test_a_snapshot_followed_here_is_computed_and_sent(live_sub, monkeypatch):
    hub, attach = live_sub
    calls = _stub_state(monkeypatch, [STATE])
    socket = await attach(expected=1)
    await hub.snapshots._compute_and_publish(TOPIC)
    await asyncio.wait_for(socket.done.wait(), 5)  # flushed through the prepared (framed once) path
    assert calls == [TOPIC] and socket.texts == [STATE[2]]


async def test_without_redis_an_unserved_snapshot_is_not_computed(live_sub, monkeypatch):
    hub, _ = live_sub
    calls = _stub_state(monkeypatch, [STATE])
    await hub.snapshots._compute_and_publish("room:43")
    assert calls == []


FLOOR_STATE = '{"type":"state","topic":"room:42","kind":"queue","data":{"version":1}}'


async def test_an_event_goes_out_before_a_snapshot_queued_before_it(live_sub):
    """Two lanes into the dispatcher: sequenced events first. A snapshot flush queued first (a
    debate's ranking) leaves after the chat message that came just behind it."""
    hub, attach = live_sub
    socket = await attach(expected=2)
    frames = await database_sync_to_async(committed_elsewhere)(1)
    hub.snapshots.receive(hub.table.get(TOPIC), "queue", 1, FLOOR_STATE)  # queues its flush now
    hub.submit(EventArrived(TOPIC, 1, frames[0]))  # behind it, in the same turn of the loop
    await asyncio.wait_for(socket.done.wait(), 5)
    assert [loads(t)["type"] for t in socket.texts] == ["event", "state"]


async def test_an_event_arriving_during_a_long_flush_goes_out_between_its_chunks(live_sub, monkeypatch):
    """A snapshot to many sockets is sent chunk by chunk; an event that arrives meanwhile goes to
    every socket before the rest of the snapshot (not after all of it)."""
    from realtime.fanout import hub as hub_module
    from realtime.fanout import snapshots

    monkeypatch.setattr(hub_module, "DISPATCH_SLICE_SECONDS", 0.0)  # every chunk lets the loop run
    hub, _ = live_sub
    frames: list[str] = []
    arrived = []

    class ArrivalSocket(RecordingSocket):
        def send_prepared(self, prepared) -> bool:
            if not arrived:  # the flush's first frame: the event reaches the process meanwhile
                arrived.append(True)
                hub.loop.call_soon(hub.submit, EventArrived(TOPIC, 1, frames[0]))
            return super().send_prepared(prepared)

    sockets = [ArrivalSocket(expected=2) for _ in range(snapshots.FLUSH_CHUNK * 3)]
    for socket in sockets:
        sub = fanout.Subscription(socket, TOPIC)
        await hub.attach(sub)
        await sub.go_live(0)
    frames.extend(await database_sync_to_async(committed_elsewhere)(1))  # after the topic opened here
    served = hub.table.get(TOPIC)
    order = list(served.subscribers)  # the order the flush goes through them
    hub.snapshots.receive(served, "queue", 1, FLOOR_STATE)
    await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in sockets)), 5)
    kinds = [[loads(t)["type"] for t in sub.socket.texts] for sub in order]
    assert kinds[0] == ["state", "event"]  # the first chunk had its snapshot before the event came
    assert kinds[-1] == ["event", "state"]  # the last waited for the event, not the reverse
    assert all(sorted(k) == ["event", "state"] for k in kinds)  # each got both, once


async def test_another_topics_event_goes_out_between_the_chunks_of_a_long_fan_out(live_sub, monkeypatch):
    """An event to many sockets goes chunk by chunk: a chat message of another topic that arrives
    meanwhile reaches its sockets before the rest of that fan-out; the fanned-out topic's own next
    event waits until every socket has the one before (a topic's events never overtake each other)."""
    from django.utils import timezone

    from realtime.fanout import hub as hub_module
    from realtime.frames import event_frame

    monkeypatch.setattr(hub_module, "DISPATCH_SLICE_SECONDS", 0.0)  # every chunk lets the loop run
    hub, _ = live_sub
    chat = "room:43"
    log: list[tuple[str, int]] = []  # (topic, seq) in the order sockets got them
    submitted = []

    class Logging(RecordingSocket):
        def __init__(self, topic: str, expected: int) -> None:
            super().__init__(expected)
            self.topic = topic

        def send_prepared(self, prepared) -> bool:
            frame = loads(prepared.payload)
            log.append((frame["topic"], frame["seq"]))
            if not submitted:  # the big fan-out's first socket: the chat message and the next event arrive
                submitted.append(True)
                hub.loop.call_soon(hub.submit, EventArrived(chat, 1, chat_frame))
                hub.loop.call_soon(hub.submit, EventArrived(TOPIC, 2, frames[1]))
            return super().send_prepared(prepared)

    def at(seq: int, topic: str) -> str:
        return event_frame(topic=topic, seq=seq, kind="message.posted", data={"n": seq}, at=timezone.now())

    big = [Logging(TOPIC, expected=2) for _ in range(hub_module.FANOUT_CHUNK * 4)]
    small = [Logging(chat, expected=1) for _ in range(3)]
    for socket in [*big, *small]:
        sub = fanout.Subscription(socket, socket.topic)
        await hub.attach(sub)
        await sub.go_live(0)
    frames = [at(1, TOPIC), at(2, TOPIC)]
    chat_frame = at(1, chat)
    hub.submit(EventArrived(TOPIC, 1, frames[0]))
    await asyncio.wait_for(asyncio.gather(*(s.done.wait() for s in [*big, *small])), 5)

    first_chat = log.index((chat, 1))
    last_of_first = max(i for i, entry in enumerate(log) if entry == (TOPIC, 1))
    first_of_second = log.index((TOPIC, 2))
    assert first_chat < last_of_first  # the chat did not wait for the whole fan-out
    assert first_chat >= hub_module.FANOUT_CHUNK  # it came at a chunk's end, not inside one
    assert last_of_first < first_of_second  # every socket had seq 1 before any got seq 2
    assert all([loads(t)["seq"] for t in s.texts] == [1, 2] for s in big)
    assert all([loads(t)["seq"] for t in s.texts] == [1] for s in small)
