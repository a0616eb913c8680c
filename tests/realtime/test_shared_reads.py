"""Shared reads (realtime.shared_reads): the keys asked while a read runs are read together by
the next one, each asker gets its own key's value, and a key nobody waits for is not read."""

from __future__ import annotations

import asyncio

import pytest

from realtime.shared_reads import SharedReads

# The reads run through db_call, which tidies the thread's database connection around each.
pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """A reader that records the keys of each call (it runs in a database thread, as in use)."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[dict] = []
        self.fail_on = fail_on

    def __call__(self, asked: dict) -> dict:
        self.calls.append(dict(asked))
        if self.fail_on in asked:
            raise RuntimeError("the database went away")
        return {key: (key, item) for key, item in asked.items() if key != "unknown"}


async def test_concurrent_askers_share_one_read_and_each_gets_its_own_value():
    reader = Recorder()
    reads = SharedReads("test", reader, missing="none")
    keys = ["a", "b", "a", "c", "unknown", "b"] * 20
    values = await asyncio.gather(*(reads.get(key, item=f"item-{key}") for key in keys))
    assert values == [("none" if key == "unknown" else (key, f"item-{key}")) for key in keys]
    assert reader.calls == [{"a": "item-a", "b": "item-b", "c": "item-c", "unknown": "item-unknown"}]
    assert (reads.reads, reads.keys_read) == (1, 4)  # one read for 120 askers: the path claimed


async def test_askers_during_a_read_wait_for_the_next_one_which_starts_after_they_asked():
    reader = Recorder()
    reads = SharedReads("test", reader)
    first = asyncio.ensure_future(reads.get("a"))
    await asyncio.sleep(0)  # one loop turn: the first read is under way, the next askers queue
    later = await asyncio.gather(reads.get("a"), reads.get("b"))
    assert await first == ("a", None) and later == [("a", None), ("b", None)]
    # "a" is read again for those who asked after the first read began: never an older answer.
    assert reader.calls == [{"a": None}, {"a": None, "b": None}]


async def test_a_key_whose_askers_gave_up_is_not_read():
    reader = Recorder()
    reads = SharedReads("test", reader)
    first = asyncio.ensure_future(reads.get("a"))
    await asyncio.sleep(0)
    gone = asyncio.ensure_future(reads.get("abandoned"))
    kept = asyncio.ensure_future(reads.get("b"))
    await asyncio.sleep(0)
    gone.cancel()  # a handshake that timed out meanwhile
    assert await first == ("a", None) and await kept == ("b", None)
    assert reader.calls == [{"a": None}, {"b": None}]


async def test_a_failed_read_fails_its_askers_only():
    reader = Recorder(fail_on="bad")
    reads = SharedReads("test", reader, max_batch=2)
    outcomes = await asyncio.gather(*(reads.get(k) for k in ["bad", "x", "y", "z"]), return_exceptions=True)
    assert [type(o).__name__ for o in outcomes[:2]] == ["RuntimeError", "RuntimeError"]
    assert outcomes[2:] == [("y", None), ("z", None)]
    assert [list(c) for c in reader.calls] == [["bad", "x"], ["y", "z"]]  # max_batch keys per read


@pytest.mark.parametrize("batch", [1, 3])
async def test_max_batch_bounds_each_read(batch):
    reader = Recorder()
    reads = SharedReads("test", reader, max_batch=batch)
    await asyncio.gather(*(reads.get(i) for i in range(7)))
    assert [len(c) for c in reader.calls] == [batch] * (7 // batch) + ([7 % batch] if 7 % batch else [])
    assert sorted(k for c in reader.calls for k in c) == list(range(7))
