"""The debate benchmark's own arithmetic (bench/debate.py): the load it schedules and how it
splits a post's time. The scenario itself runs under `make bench` (servers, Redis, 2,000 sockets)."""

from __future__ import annotations

import random
from itertools import pairwise
from types import SimpleNamespace

from bench.debate import FLOOR_EVERY_S, HANDS_PER_S, chat_path, load_schedule, seconds_between, stage_add, stage_means

ACTIONS = {name: name for name in ("upvote", "ask", "hand", "floor")}


def schedule(shape: str, seconds: float = 20.0, seed: int = 11, upvotes_per_s: float = 100.0):
    args = SimpleNamespace(seconds=seconds, upvotes_per_s=upvotes_per_s, questions_per_s=2.0, load_shape=shape)
    return load_schedule(args, random.Random(seed), ACTIONS)


def count(plan, name: str) -> int:
    return sum(1 for _, action in plan if action == name)


def test_poisson_load_keeps_the_rates_and_spreads_the_actions():
    plan = schedule("poisson")
    times = [at for at, _ in plan]
    assert times == sorted(times) and 0 <= times[0] and times[-1] < 20.0
    assert 1800 <= count(plan, "upvote") <= 2200  # 100/s for 20 s, a Poisson count (sd ~45)
    assert 20 <= count(plan, "ask") <= 60
    assert 60 <= count(plan, "hand") <= 140  # HANDS_PER_S for 20 s
    assert 3 <= count(plan, "floor") <= 20  # one per FLOOR_EVERY_S on average (10 in 20 s)
    # Independent people: hardly two actions in the same millisecond, unlike the ticks.
    assert len({round(at, 3) for at in times}) > 0.9 * len(times)
    # The moderator is not in step with anyone either (the chat posts every 500 ms).
    floors = [at for at, action in plan if action == "floor"]
    assert len({round(b - a, 3) for a, b in pairwise(floors)}) == len(floors) - 1


def test_a_probe_without_upvotes_schedules_the_rest():
    # `--upvotes-per-s 0` (what the chat's tail owes the upvotes): the other actions keep their rates.
    plan = schedule("poisson", upvotes_per_s=0.0)
    assert count(plan, "upvote") == 0
    assert 20 <= count(plan, "ask") <= 60 and 3 <= count(plan, "floor") <= 20


def test_run_queue_wait_per_phase_keeps_unknown_apart():
    assert seconds_between([1.0, None, 0.5], [3.5, 2.0, None]) == [2.5, None, None]


def test_ticks_load_is_the_first_measurements_shape():
    plan = schedule("ticks", seconds=2.0)
    assert {round(at * 10, 6) % 1 for at, _ in plan} == {0.0}  # every action on a 100 ms tick
    assert count(plan, "upvote") == 200
    assert count(plan, "floor") == int(2.0 / FLOOR_EVERY_S)
    assert [at for at, action in plan if action == "floor"] == [0.0]
    assert HANDS_PER_S == 5.0


def test_chat_path_splits_local_and_remote_watchers():
    # Two posts sent at t=10 and t=20; watchers on server 0 (the poster's) and server 1.
    per_post = [
        (0.020, [0.010, 0.015, 0.030], 10.0, [(0, 10.010), (1, 10.015), (1, 10.030)]),
        (0.040, [0.020, 0.050, 0.060], 20.0, [(1, 20.020), (0, 20.050), (0, 20.060)]),
    ]
    path = chat_path(per_post, poster_server=0)
    assert path["ok"] == [40, 40]  # median and 90th percentile of two: the upper one
    assert path["first_local"] == [50, 50]
    assert path["first_remote"] == [20, 20]
    assert path["median"] == [50, 50]
    assert path["last"] == [60, 60]
    # One server only: no remote column, the rest still computed.
    alone = chat_path([(0.02, [0.01], 1.0, [(0, 1.01)])], poster_server=0)
    assert alone["first_remote"] == [] and alone["first_local"] == [10, 10]


def test_stage_means_read_sums_and_counts_between_two_scrapes():
    text = """# TYPE cl_write_stage_seconds histogram
cl_write_stage_seconds_sum{kind="room",stage="queued"} 0.5
cl_write_stage_seconds_count{kind="room",stage="queued"} 100.0
cl_write_stage_seconds_bucket{kind="room",le="0.001",stage="queued"} 3.0
# TYPE cl_fanout_seconds histogram
cl_fanout_seconds_sum 0.2
cl_fanout_seconds_count 10.0
"""
    from prometheus_client.parser import text_string_to_metric_families

    after = {"stages": {}}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            stage_add(after["stages"], sample)
    assert after["stages"] == {"room.queued": [0.5, 100.0], "fanout": [0.2, 10.0]}  # buckets are not stages
    before = {"stages": {"room.queued": [0.1, 20.0], "room.turn": [0.0, 0.0]}}
    # queued: 0.4 s over 80 writes; fanout: 0.2 s over 10; a stage not observed in between is absent
    assert stage_means(before, after) == {"room.queued": 5.0, "fanout": 20.0}


def test_messages_per_read_adds_every_observer_of_the_phase():
    from bench.debate import messages_per_read

    before = [{"reads": 10, "messages": 10}, {"reads": 5, "messages": 6}]
    after = [{"reads": 110, "messages": 160}, {"reads": 105, "messages": 206}]
    assert messages_per_read(before, after) == 1.75  # (150 + 200) messages in (100 + 100) reads
    assert messages_per_read(after, after) is None  # no read: no figure


async def test_the_client_counts_its_reads_and_the_messages_in_them():
    """bench.wsclient counts each read and the whole messages it completed: two frames over two
    reads, the first ending inside the second frame, are two reads and two messages."""
    from bench import wsclient

    got = []
    client = wsclient.WSClientProtocol("h", "/ws/", None, lambda ws, payload, t: got.append(payload))
    client.upgraded = True
    before = dict(wsclient.COUNTS)
    frames = b"".join(bytes([0x81, len(p)]) + p for p in (b"one", b"two"))
    client.data_received(frames[:4])  # a read may end inside a frame
    client.data_received(frames[4:])
    assert got == [b"one", b"two"]
    assert wsclient.COUNTS["reads"] - before["reads"] == 2
    assert wsclient.COUNTS["messages"] - before["messages"] == 2
