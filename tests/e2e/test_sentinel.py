"""Losing the Redis master: a master, a replica and three sentinels (real processes on free ports),
two daphne processes using REDIS_SENTINELS. The master is killed while messages flow; the hubs
follow the promoted replica, and a client resuming with `since` has every event exactly once.

The time from the kill until both hubs listen on the new master is printed (run with -s).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time

import httpx
import pytest
import redis

from tests.live import free_port, wait_port
from tests.live_deploy import ResumingClient

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

MASTER_NAME = "mymaster"
SETTLE_TIMEOUT = 30.0


class SentinelCluster:
    def __init__(self) -> None:
        self.workdir = tempfile.mkdtemp(prefix="cl-sentinel-")
        self.processes: dict[int, subprocess.Popen] = {}
        self.master_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self._redis(self.master_port)
        self._redis(self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port))
        for port in self.sentinel_ports:
            config = os.path.join(self.workdir, f"sentinel-{port}.conf")
            with open(config, "w") as file:
                file.write(
                    f"port {port}\nbind 127.0.0.1\ndir {self.workdir}\n"
                    f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 2\n"
                    f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                    f"sentinel failover-timeout {MASTER_NAME} 10000\n"
                    f"sentinel parallel-syncs {MASTER_NAME} 1\n"
                )
            self._start(port, ["redis-server", config, "--sentinel"])
        # Ready once every sentinel knows the replica and the two other sentinels.
        self.until(lambda: all(self._sentinel_sees_all(port) for port in self.sentinel_ports))

    def _redis(self, port: int, *extra: str) -> None:
        self._start(port, ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", *extra])

    def _start(self, port: int, command: list[str]) -> None:
        self.processes[port] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, self.processes[port])

    def _sentinel_sees_all(self, port: int) -> bool:
        sentinel = redis.Redis(port=port, socket_timeout=1)
        try:
            return bool(sentinel.sentinel_slaves(MASTER_NAME)) and len(sentinel.sentinel_sentinels(MASTER_NAME)) >= 2
        except redis.RedisError:
            return False
        finally:
            sentinel.close()

    @staticmethod
    def until(predicate, timeout: float = SETTLE_TIMEOUT) -> float:
        """Poll a condition only a query can observe (sentinel state); the seconds it took."""
        started = time.monotonic()
        while not predicate():
            if time.monotonic() - started > timeout:
                raise TimeoutError("condition not reached")
            time.sleep(0.05)
        return time.monotonic() - started

    @property
    def sentinels(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def master_address(self) -> tuple[str, int]:
        sentinel = redis.Redis(port=self.sentinel_ports[0], socket_timeout=1)
        try:
            host, port = sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)
            return host, int(port)
        finally:
            sentinel.close()

    def kill(self, port: int) -> None:
        self.processes[port].send_signal(signal.SIGKILL)
        self.processes[port].wait(timeout=10)

    def subscribers(self, port: int, channel: str) -> int:
        try:
            client = redis.Redis(port=port, socket_timeout=1)
            try:
                return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)
            finally:
                client.close()
        except redis.RedisError:
            return 0

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)  # the sentinels' config files


@pytest.fixture
def sentinel_cluster():
    cluster = SentinelCluster()
    yield cluster
    cluster.close()


async def test_the_hubs_follow_a_new_master_and_a_resuming_client_loses_nothing(live_stack, sentinel_cluster):
    cluster = sentinel_cluster
    stack = live_stack(
        processes=2,
        env={
            "REDIS_URL": "redis://127.0.0.1:6379/0",  # host unused: database number and credentials only
            "REDIS_SENTINELS": cluster.sentinels,
            "REDIS_SENTINEL_MASTER": MASTER_NAME,
            "SCHEDULER_IN_PROCESS": "0",
        },
    )
    (_, t_writer), (_, t_reader) = stack.create_users(2)
    with stack.http(0, t_writer) as http:
        topic = http.post("/api/rooms", json={"name": "Bascule"}).json()["topic"]
    channel = f"cl:{topic}"
    writer = ResumingClient(stack.ws_url(0), t_writer)
    reader = ResumingClient(stack.ws_url(1), t_reader)
    await writer.subscribe(topic)
    await reader.subscribe(topic)
    # Both hubs listen on the master for this topic.
    await asyncio.to_thread(cluster.until, lambda: cluster.subscribers(cluster.master_port, channel) == 2)

    ok_seqs: list[int] = []
    stop = asyncio.Event()

    async def post_steadily() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            reply = await writer.write({"type": "post", "topic": topic, "body": f"m{n}"})
            assert reply["type"] == "ok", reply
            ok_seqs.append(reply["data"]["seq"])

    posting = asyncio.create_task(post_steadily())
    await reader.wait_seq(topic, 20)
    killed_at = time.monotonic()
    await asyncio.to_thread(cluster.kill, cluster.master_port)
    await reader.current.close()  # and the reader drops meanwhile: it resumes with `since` at once
    promoted = await asyncio.to_thread(cluster.until, lambda: cluster.master_address()[1] == cluster.replica_port)
    # Both hubs reconnected through the sentinels: they listen on the promoted replica.
    await asyncio.to_thread(cluster.until, lambda: cluster.subscribers(cluster.replica_port, channel) == 2)
    recovered = time.monotonic() - killed_at
    mark = len(ok_seqs)
    await reader.wait_seq(topic, ok_seqs[-1] + 20)  # messages still flow after the failover
    stop.set()
    await posting
    head = ok_seqs[-1]

    # Each process is ready again (Redis through the sentinels, hub connected).
    for index in (0, 1):
        ready = httpx.get(f"{stack.http_url(index)}/readyz", timeout=5)  # noqa: ASYNC210 - a probe, sockets idle
        assert ready.status_code == 200, ready.text
    await reader.wait_seq(topic, head)
    print(
        f"\nsentinel failover: {len(ok_seqs)} posts ok'd ({mark} before the hubs were back on the new master); "
        f"sentinels promoted the replica {promoted:.2f}s after the kill; "
        f"both hubs subscribed on the new master {recovered:.2f}s after the kill; reader reconnects: "
        f"{len(reader.sockets) - 1}"
    )
    assert sorted(ok_seqs) == list(range(1, head + 1))
    assert reader.seqs(topic) == list(range(1, head + 1))
    assert writer.seqs(topic) == list(range(1, head + 1))
    await writer.close()
    await reader.close()
