"""Seq assignment: gapless, ordered, and only for what commits — under real concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, transaction

from realtime.event_log import topic_events_after, topic_head
from realtime.idempotency import write_once
from realtime.models import TopicEvent, WriteReceipt
from realtime.sequencing import topic_event_append

pytestmark = pytest.mark.synthetic_events  # made-up kinds and data: the transport only


@pytest.mark.django_db
def test_seq_counts_from_one_per_topic():
    with transaction.atomic():
        assert topic_event_append(topic="room:1", kind="k", data={}).seq == 1
        assert topic_event_append(topic="room:1", kind="k", data={}).seq == 2
        assert topic_event_append(topic="room:2", kind="k", data={}).seq == 1
    assert topic_head("room:1") == 2 and topic_head("room:3") == 0


@pytest.mark.django_db
def test_rolled_back_event_leaves_no_gap():
    with transaction.atomic():
        topic_event_append(topic="room:1", kind="k", data={"n": 1})
    with pytest.raises(RuntimeError), transaction.atomic():
        topic_event_append(topic="room:1", kind="k", data={"n": "lost"})
        raise RuntimeError("rollback")
    with transaction.atomic():
        assert topic_event_append(topic="room:1", kind="k", data={"n": 2}).seq == 2
    assert [seq for seq, _ in topic_events_after("room:1", 0)] == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        topic_event_append(topic="room:1", kind="k", data={})


def run_threads(count: int, target) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def body(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_gapless_unique_seqs():
    def write(index: int) -> None:
        for n in range(20):
            with transaction.atomic():
                topic_event_append(topic="room:7", kind="k", data={"writer": index, "n": n})

    assert run_threads(8, write) == []
    seqs = list(TopicEvent.objects.filter(topic="room:7").order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 161))
    assert topic_head("room:7") == 160


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_of_one_ref_apply_once(django_user_model):
    user = django_user_model.objects.create_user(username="alice", password="!")
    results = []

    def write(index: int) -> None:
        with transaction.atomic():
            results.append(
                write_once(
                    user=user,
                    ref="same-ref",
                    action="post",
                    perform=lambda: {"seq": topic_event_append(topic="room:9", kind="k", data={"by": index}).seq},
                )
            )

    assert run_threads(6, write) == []
    assert results == [{"seq": 1}] * 6
    assert TopicEvent.objects.filter(topic="room:9").count() == 1
    assert WriteReceipt.objects.count() == 1
