"""Every close code the server uses, seen by a real client of a real daphne process (PROTOCOL.md §1, B.1).

The in-memory communicator does not run daphne's protocol code, which is where 1009 used to
turn into 1011 and a traceback, and where a client that does not read piles up memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time

import pytest
import websockets

from tests.live import LiveSocket

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

MAX_FRAME = 64 * 1024


async def close_code(ws, timeout: float = 20.0) -> int:
    """Read until the server closes; the close code it sent."""
    try:
        async with asyncio.timeout(timeout):
            async for _ in ws:
                pass
    except websockets.ConnectionClosed:
        pass
    assert ws.close_code is not None
    return ws.close_code


@pytest.mark.parametrize("size", [MAX_FRAME + 1, 2 * 1024 * 1024], ids=["over-64KiB", "over-1MiB"])
async def test_oversized_frame_gets_too_large_then_4009(live_stack, size):
    stack = live_stack()
    ws = await websockets.connect(stack.ws_url(), max_size=2**22, open_timeout=20)
    await ws.send(json.dumps({"type": "ping", "ref": "x" * size}))
    error = json.loads(await asyncio.wait_for(ws.recv(), 20))
    assert error["type"] == "error" and error["code"] == "too_large"
    assert await close_code(ws) == 4009
    log = stack.log("daphne-0")
    assert "Traceback" not in log and "ERROR" not in log, log[-2000:]
    # The server is still fine for everybody else.
    async with await LiveSocket.open(stack.ws_url()) as other:
        assert (await other.request({"type": "ping"}))["type"] == "pong"


async def test_frame_at_the_limit_is_read(live_stack):
    stack = live_stack()
    async with await LiveSocket.open(stack.ws_url()) as ws:
        frame = json.dumps({"type": "ping", "ref": "r"})
        padded = frame[:-1] + ', "pad": "' + "x" * (MAX_FRAME - len(frame) - 11) + '"}'
        assert len(padded.encode()) == MAX_FRAME
        await ws.send(padded)
        assert (await ws.wait_for(lambda f: f["type"] == "pong"))["ref"] == "r"


async def test_server_shutdown_closes_every_socket_with_4012(live_stack):
    stack = live_stack()
    ((_, token),) = stack.create_users(1)
    sockets = [await websockets.connect(stack.ws_url(), open_timeout=20) for _ in range(3)]
    authed = await websockets.connect(
        stack.ws_url(), additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=20
    )
    for ws in [*sockets, authed]:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"
    stack.servers[0].send_signal(signal.SIGTERM)
    codes = await asyncio.gather(*(close_code(ws) for ws in [*sockets, authed]))
    assert codes == [4012] * 4
    stack.servers[0].wait(timeout=20)
    stack.servers[0] = None


async def test_foreign_origin_and_bad_token_are_refused_at_the_handshake(live_stack):
    stack = live_stack()
    for headers in ({"Origin": "http://evil.example"}, {"Authorization": "Bearer not-a-token"}):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(stack.ws_url(), additional_headers=headers, open_timeout=20)
        assert refused.value.response.status_code == 403


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wait_for_log(stack, text: str, timeout: float = 60.0, count: int = 1) -> None:
    """Bounded poll of the server's log: the only outside sign that it gave up on a socket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.log("daphne-0").count(text) >= count:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{text!r} {stack.log('daphne-0').count(text)} times in the server log, not {count}")


async def stalled_socket(url: str) -> websockets.ClientConnection:
    """A client whose receive buffer is tiny and which reads nothing until told."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, (host, int(port)))
    ws = await websockets.connect(url, sock=raw, max_size=2**22, max_queue=1, open_timeout=20)
    return ws


def rooms_with_history(stack, rooms: int, messages: int, body_size: int) -> list[str]:
    return stack.run_python(
        f"""
from accounts.models import User
from discussions.services import message_post, room_create
owner = User.objects.create_user(username="owner" + __import__("uuid").uuid4().hex[:6], password="!")
topics = []
for r in range({rooms}):
    room = room_create(creator=owner, name=f"Salon {{r}}", visibility="public")
    for i in range({messages}):
        message_post(author=owner, room_id=room["id"], body=f"{{i:05d}}" + "x" * {body_size})
    topics.append(room["topic"])
print(json.dumps(topics))
"""
    )


async def test_a_client_that_stops_reading_gets_4008_and_its_memory_is_released(live_stack):
    stack = live_stack(env={"REALTIME_SEND_BUFFER_BYTES": str(1024 * 1024), "LOG_LEVEL": "INFO"})
    topics = rooms_with_history(stack, rooms=12, messages=250, body_size=3900)  # ~1 MB of history each
    pid = stack.servers[0].pid
    # Warm up the process (imports, caches) with the same work, read by a healthy client.
    async with await LiveSocket.open(stack.ws_url()) as warm:
        for topic in topics[:2]:
            await warm.subscribe(topic, since=0)
            await warm.wait_seq(topic, 250)
    baseline = rss_kib(pid)
    stalled = await stalled_socket(stack.ws_url())
    stalled.transport.pause_reading()
    for index, topic in enumerate(topics):
        await stalled.send(json.dumps({"type": "subscribe", "topic": topic, "since": 0, "ref": str(index)}))
    wait_for_log(stack, "closing a socket that does not read")
    peak = rss_kib(pid)
    # The client reads again: what the transport held, then the 4008 close frame.
    stalled.transport.resume_reading()
    assert await close_code(stalled) == 4008
    # A healthy client on the same process is served, and resumes the lost topic with `since`.
    async with await LiveSocket.open(stack.ws_url()) as healthy:
        await healthy.subscribe(topics[-1], since=200)
        await healthy.wait_seq(topics[-1], 250)
        assert healthy.seqs(topics[-1]) == list(range(201, 251))
    after = rss_kib(pid)
    print(f"RSS baseline {baseline} KiB, at the 4008 {peak} KiB, after close {after} KiB")
    # 12 MB of history was asked for: bounded, the socket held at most ~1 MiB + the transport's buffer.
    assert peak - baseline < 40 * 1024, (baseline, peak)
    assert after - baseline < 40 * 1024, (baseline, after)


def hwm_reset(pid: int) -> None:
    """Start a new peak: VmHWM from now on (proc(5), clear_refs "5")."""
    with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


async def test_stalled_readers_of_one_room_share_its_frames_and_are_each_cut_with_4008(live_stack):
    """Finding 1's burst in small: 20 readers of one room stop reading while ~2.4 MB is posted to it.

    Each socket may queue REALTIME_SEND_BUFFER_BYTES (1 MiB) before its 4008; if each queue held
    its own copy of the frames, the process would peak ~21 MiB higher (20 x (1 MiB + 64 KiB)).
    The frames of a fan-out are one `bytes` object shared by every queue (daphne_protocol.frame_bytes),
    so the peak is about one queue's worth plus each transport's 64 KiB. (Another process posts,
    through Redis, so that the server's own work is only the fan-out. The kernel holds 256 KiB
    per socket, REALTIME_SOCKET_SEND_BUFFER doubled, before the transport pauses.)"""
    # A grace long enough for the readers to come back in this test (cut without a close frame after it).
    env = {"REALTIME_SEND_BUFFER_BYTES": str(1024 * 1024), "REALTIME_SLOW_CLIENT_GRACE": "600", "LOG_LEVEL": "INFO"}
    env["REALTIME_SOCKET_SEND_BUFFER"] = str(128 * 1024)  # 256 KiB in the kernel, not up to 4 MiB
    stack = live_stack(redis=True, env=env)
    (topic,) = rooms_with_history(stack, rooms=1, messages=0, body_size=0)
    pid = stack.servers[0].pid

    def post(count: int, first: int) -> None:
        stack.run_python(
            f"""
from discussions.models import Room
from discussions.services import message_post
room = Room.objects.get(id={int(topic.split(":")[1])})
for i in range({first}, {first + count}):
    message_post(author=room.created_by, room_id=room.id, body=f"{{i:05d}}" + "x" * 3900)
print(json.dumps(None))
"""
        )

    async with await LiveSocket.open(stack.ws_url()) as healthy:
        await healthy.subscribe(topic)
        await asyncio.to_thread(post, 200, 1)  # warm-up: the same work, read by a healthy client
        await healthy.wait_seq(topic, 200, timeout=60)
        stalled = [await stalled_socket(stack.ws_url()) for _ in range(20)]
        for ws in stalled:
            await ws.send(json.dumps({"type": "subscribe", "topic": topic, "ref": "s"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] == "subscribed"
            ws.transport.pause_reading()
        baseline = rss_kib(pid)
        hwm_reset(pid)
        await asyncio.to_thread(post, 600, 201)  # ~2.4 MB of frames for each reader
        await healthy.wait_seq(topic, 800, timeout=120)
        wait_for_log(stack, "closing a socket that does not read", count=20)
        peak = hwm_kib(pid)
        print(f"RSS baseline {baseline} KiB, peak {peak} KiB (+{(peak - baseline) // 1024} MiB)")
        assert healthy.seqs(topic) == list(range(1, 801))
    for ws in stalled:
        ws.transport.resume_reading()
    assert await asyncio.gather(*(close_code(ws) for ws in stalled)) == [4008] * 20
    # Nothing lost: a reader that was cut resumes with `since` and gets the rest.
    async with await LiveSocket.open(stack.ws_url()) as resumed:
        await resumed.subscribe(topic, since=200)
        await resumed.wait_seq(topic, 800, timeout=60)
        assert resumed.seqs(topic) == list(range(201, 801))
    assert peak - baseline < 8 * 1024, (baseline, peak)


def hwm_kib(pid: int) -> int:
    """The process's peak resident set so far (VmHWM): catches a spike nobody sampled."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


async def test_300_replays_asked_by_a_client_that_does_not_read_stay_bounded(live_stack):
    """The attack of issue #9: `subscribe since: 0` 300 times on a busy room, without reading.
    The replay cooldown is made longer than any run of this test: under load, answering the 300
    could outlast the default 5 s, and a second replay then is the rule working, not a leak."""
    stack = live_stack(env={"REALTIME_REPLAY_COOLDOWN": "600"})
    (topic,) = rooms_with_history(stack, rooms=1, messages=1000, body_size=1000)  # ~1.1 MB per replay
    pid = stack.servers[0].pid
    async with await LiveSocket.open(stack.ws_url()) as warm:
        await warm.subscribe(topic, since=0)
        await warm.wait_seq(topic, 1000)
    baseline = rss_kib(pid)
    stalled = await stalled_socket(stack.ws_url())
    stalled.transport.pause_reading()
    for index in range(300):
        await stalled.send(json.dumps({"type": "subscribe", "topic": topic, "since": 0, "ref": str(index)}))
    peak_while_stalled = hwm_kib(pid)
    stalled.transport.resume_reading()
    received = []
    async with asyncio.timeout(60):
        async for raw in stalled:
            received.append(json.loads(raw))
            if received[-1].get("ref") == "299":
                break
    peak = hwm_kib(pid)
    await stalled.close()
    events = [f for f in received if f["type"] == "event"]
    refused = [f for f in received if f["type"] == "error" and f["code"] == "rate_limited"]
    # One replay (paged), the 299 others refused: not 300 copies of the room in memory.
    assert [f["seq"] for f in events] == list(range(1, 1001))
    assert len(refused) == 299 and all(f["retry_after"] > 0 for f in refused)
    after = rss_kib(pid)
    print(f"RSS baseline {baseline} KiB, peak {max(peak, peak_while_stalled)} KiB, after close {after} KiB")
    assert peak - baseline < 30 * 1024, (baseline, peak)
    assert after - baseline < 30 * 1024, (baseline, after)


async def test_the_same_topic_is_not_replayed_twice_in_a_row(live_stack):
    stack = live_stack()
    (topic,) = rooms_with_history(stack, rooms=1, messages=30, body_size=10)
    async with await LiveSocket.open(stack.ws_url()) as client:
        assert (await client.subscribe(topic, since=0))["type"] == "subscribed"
        await client.wait_seq(topic, 30)
        again = await client.subscribe(topic, since=0)
        assert again["type"] == "error" and again["code"] == "rate_limited" and again["retry_after"] > 0
        await client.request({"type": "ping"})
        assert client.seqs(topic) == list(range(1, 31))  # replayed once; still subscribed
        assert (await client.subscribe(topic))["type"] == "subscribed"  # without `since`: fine


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the database-thread gate is PostgreSQL's"
)
async def test_a_token_that_cannot_be_checked_in_time_gets_rate_limited_then_4013(live_stack):
    """No database thread within DB_WAIT_SECONDS (0 here: never): the handshake is not left to time
    out (daphne would refuse it after 5 s, the client would learn nothing); it is told to come back."""
    stack = live_stack(env={"DB_WAIT_SECONDS": "0"})
    ((_, token),) = stack.create_users(1)
    ws = await websockets.connect(
        stack.ws_url(), additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=20
    )
    error = json.loads(await asyncio.wait_for(ws.recv(), 20))
    assert error["type"] == "error" and error["code"] == "rate_limited" and error["retry_after"] > 0
    assert await close_code(ws) == 4013
    assert "Traceback" not in stack.log("daphne-0")
