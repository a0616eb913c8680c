"""Group commit (realtime.batching): one transaction per batch, every guarantee per write.

These run the real services on the real database (SQLite or PostgreSQL); the end-to-end
proof with real daphne processes is tests/e2e/test_group_commit.py.
"""

from __future__ import annotations

import asyncio

import pytest
from django.db import OperationalError

from discussions.models import Message
from discussions.services import message_post
from proposals.inputs import ProposalIn
from proposals.models import Proposal, Vote
from proposals.services import proposal_create, vote_cast
from realtime.batching import BUSY_ATTEMPTS, BatchNotRunError, TopicWriter, run_batch
from realtime.errors import AppError
from realtime.event_log import topic_head
from realtime.models import TopicEvent, WriteReceipt
from realtime.schemas import input_parse
from realtime.sequencing import topic_event_append
from tests.threads import db_thread

# These tests append made-up events (kind "k"): not checked against the event schemas.
pytestmark = pytest.mark.synthetic_events


def seqs_of(topic: str) -> list[int]:
    return list(TopicEvent.objects.filter(topic=topic).order_by("seq").values_list("seq", flat=True))


def writer_turn_seen(fd: int) -> str:
    """Whether the SQLite writers' turn is "held" or "free", as another process sees it through its
    own open file `fd`."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "held"
    fcntl.flock(fd, fcntl.LOCK_UN)
    return "free"


def append_then_fail(topic: str) -> None:
    topic_event_append(topic=topic, kind="k", data={"lost": True})
    raise AppError("conflict", "this write fails after taking a seq")


@pytest.mark.django_db(transaction=True)
def test_a_failing_write_rolls_back_alone_and_gives_its_seq_back(make_user, make_room):
    alice = make_user()
    room = make_room(alice)
    posts = [
        (message_post, {"author": alice, "room_id": room.id, "body": f"message {i}", "ref": f"r{i}"}) for i in range(4)
    ]
    calls = [posts[0], (append_then_fail, {"topic": room.topic}), posts[1], posts[2], posts[3]]
    outcomes = run_batch(calls)
    assert [ok for ok, _ in outcomes] == [True, False, True, True, True]
    assert isinstance(outcomes[1][1], AppError) and outcomes[1][1].code == "conflict"
    assert [value["seq"] for ok, value in outcomes if ok] == [1, 2, 3, 4]
    assert seqs_of(room.topic) == [1, 2, 3, 4]
    assert topic_head(room.topic) == 4
    assert not TopicEvent.objects.filter(topic=room.topic, data__lost=True).exists()
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == [f"message {i}" for i in range(4)]


@pytest.mark.django_db(transaction=True)
def test_a_first_write_that_fails_does_not_leave_the_range_behind(make_user, make_room):
    """The failing write made the batch's upsert: its savepoint undoes it, the next write upserts anew."""
    alice = make_user()
    room = make_room(alice)
    outcomes = run_batch(
        [
            (append_then_fail, {"topic": room.topic}),
            (message_post, {"author": alice, "room_id": room.id, "body": "kept", "ref": "k1"}),
        ]
    )
    assert [ok for ok, _ in outcomes] == [False, True]
    assert outcomes[1][1]["seq"] == 1
    assert seqs_of(room.topic) == [1] and topic_head(room.topic) == 1


@pytest.mark.django_db(transaction=True)
def test_seqs_continue_across_batches_and_single_writes(make_user, make_room):
    alice = make_user()
    room = make_room(alice)
    run_batch(
        [(message_post, {"author": alice, "room_id": room.id, "body": f"a{i}", "ref": f"a{i}"}) for i in range(3)]
    )
    message_post(author=alice, room_id=room.id, body="alone", ref="alone")
    run_batch(
        [(message_post, {"author": alice, "room_id": room.id, "body": f"b{i}", "ref": f"b{i}"}) for i in range(3)]
    )
    assert seqs_of(room.topic) == list(range(1, 8))
    assert topic_head(room.topic) == 7


@pytest.mark.django_db(transaction=True)
def test_a_resend_inside_one_batch_applies_once(make_user, make_room):
    alice = make_user()
    room = make_room(alice)
    same = {"author": alice, "room_id": room.id, "body": "once", "ref": "same-ref"}
    outcomes = run_batch([(message_post, same), (message_post, same), (message_post, same)])
    assert [ok for ok, _ in outcomes] == [True, True, True]
    first = outcomes[0][1]
    assert [value for _, value in outcomes] == [first] * 3
    assert Message.objects.count() == 1
    assert WriteReceipt.objects.filter(user=alice, ref="same-ref").count() == 1
    assert seqs_of(room.topic) == [1]


@pytest.mark.django_db
def test_publishes_on_commit_only_what_committed(make_user, make_room, django_capture_on_commit_callbacks):
    alice = make_user()
    room = make_room(alice)
    calls = [
        (message_post, {"author": alice, "room_id": room.id, "body": "one", "ref": "p1"}),
        (append_then_fail, {"topic": room.topic}),
        (message_post, {"author": alice, "room_id": room.id, "body": "two", "ref": "p2"}),
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        outcomes = run_batch(calls)
        # The test's own transaction is still open: nothing was published before commit.
    assert [ok for ok, _ in outcomes] == [True, False, True]
    # One publish per committed event; nothing for the write that rolled back.
    assert len(callbacks) == 2


@pytest.mark.django_db(transaction=True)
def test_votes_in_one_batch_keep_one_vote_per_person_and_exact_counts(make_user, make_room):
    owner = make_user()
    room = make_room(owner)
    fields = {"title": "Bancs", "body": "Des bancs place du marché ?", "room": room.id}
    proposal_id = proposal_create(author=owner, proposal=input_parse(ProposalIn, fields))["id"]
    voters = [make_user() for _ in range(6)]
    keys = ["up", "down", "white"]
    calls = [
        (vote_cast, {"user": v, "proposal_id": proposal_id, "choice": keys[i % 3], "ref": f"v{i}"})
        for i, v in enumerate(voters)
    ]
    calls.insert(3, (vote_cast, {"user": voters[0], "proposal_id": proposal_id, "choice": "up", "ref": "v0"}))
    outcomes = run_batch(calls)
    assert all(ok for ok, _ in outcomes), outcomes
    assert Vote.objects.filter(proposal_id=proposal_id).count() == 6
    stored = Proposal.objects.get(id=proposal_id)
    assert stored.total == 6
    assert {k: v for k, v in stored.counts.items() if v} == {"up": 2, "down": 2, "white": 2}


@pytest.mark.django_db(transaction=True)
async def test_concurrent_writers_share_batches_and_each_gets_its_own_answer(make_user, make_room):
    alice = await db_thread(make_user)
    room = await db_thread(make_room, alice)
    writer = TopicWriter(window_s=0.005, max_batch=50)

    async def post(i: int):
        if i == 7:
            return await writer.write(
                room.topic, message_post, author=alice, room_id=room.id, body="x", reply_to=999999, ref="bad"
            )
        return await writer.write(room.topic, message_post, author=alice, room_id=room.id, body=f"m{i}", ref=f"r{i}")

    results = await asyncio.gather(*(post(i) for i in range(40)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(results[7], AppError) and results[7].code == "not_found"
    seqs = sorted(r["seq"] for r in results if not isinstance(r, BaseException))
    assert seqs == list(range(1, 40))
    assert writer.writes == 40
    assert writer.batches < 40  # they were grouped: the path this test claims was taken
    assert await db_thread(seqs_of, room.topic) == list(range(1, 40))


class LockTimeoutError(Exception):
    """What the PostgreSQL driver raises on `lock_timeout` (SQLSTATE 55P03), as Django wraps it."""

    sqlstate = "55P03"


def post_after_timeouts(timeouts: list[int], **kwargs):
    """message_post, after raising a lock timeout while `timeouts[0]` is positive (counting down)."""
    if timeouts[0] > 0:
        timeouts[0] -= 1
        raise OperationalError("canceling statement due to lock timeout") from LockTimeoutError()
    return message_post(**kwargs)


@pytest.mark.django_db(transaction=True)
async def test_a_write_that_meets_a_lock_timeout_goes_again_and_the_rest_of_its_batch_with_it(make_user, make_room):
    alice = await db_thread(make_user)
    room = await db_thread(make_room, alice)
    writer = TopicWriter(window_s=0.005, max_batch=50)
    flaky = [BUSY_ATTEMPTS - 1]  # times out on every try but the last one allowed

    async def post(i: int):
        kwargs = {"author": alice, "room_id": room.id, "body": f"m{i}", "ref": f"r{i}"}
        if i == 3:
            return await writer.write(room.topic, post_after_timeouts, timeouts=flaky, **kwargs)
        return await writer.write(room.topic, message_post, **kwargs)

    results = await asyncio.gather(*(post(i) for i in range(12)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert flaky == [0]
    assert sorted(r["seq"] for r in results) == list(range(1, 13))
    assert await db_thread(seqs_of, room.topic) == list(range(1, 13))
    bodies = await db_thread(lambda: set(Message.objects.values_list("body", flat=True)))
    assert bodies == {f"m{i}" for i in range(12)}


@pytest.mark.django_db(transaction=True)
async def test_a_lock_held_for_good_answers_every_writer_rate_limited_after_the_tries(make_user, make_room):
    alice = await db_thread(make_user)
    room = await db_thread(make_room, alice)
    writer = TopicWriter(window_s=0.005, max_batch=50)
    hopeless = [10**6]  # the first write of every batch times out, as under a lock that stays

    async def post(i: int):
        kwargs = {"author": alice, "room_id": room.id, "body": f"m{i}", "ref": f"r{i}"}
        function = post_after_timeouts if i == 0 else message_post
        extra = {"timeouts": hopeless} if i == 0 else {}
        return await writer.write(room.topic, function, **extra, **kwargs)

    results = await asyncio.gather(*(post(i) for i in range(6)), return_exceptions=True)
    assert all(isinstance(r, AppError) and r.code == "rate_limited" and r.retry_after for r in results), results
    assert hopeless == [10**6 - BUSY_ATTEMPTS]  # tried BUSY_ATTEMPTS times, then answered
    assert writer.batches == BUSY_ATTEMPTS
    assert await db_thread(seqs_of, room.topic) == []


def mute(room_id: int, user) -> None:
    """A moderator's mute, as a write of another command in the same batch."""
    from discussions.services import room_sanction_set

    room_sanction_set(room_id=room_id, user=user, kind="mute", reason="test")


@pytest.mark.django_db(transaction=True)
def test_the_posts_of_one_batch_read_their_room_once(make_user, make_room, django_assert_max_num_queries):
    users = [make_user() for _ in range(20)]
    room = make_room(users[0])
    posts = [
        (message_post, {"author": u, "room_id": room.id, "body": f"m{i}", "ref": f"r{i}"}) for i, u in enumerate(users)
    ]
    # Per post: the receipt's claim, the message, one savepoint (two statements); per batch: the
    # room and its sanctions, the seq upsert and head, one INSERT of the events, one UPDATE of the
    # receipts' results, begin/commit. It was 6 per post before events and results went in bulk.
    with django_assert_max_num_queries(4 * len(posts) + 8):
        outcomes = run_batch(posts)
    assert all(ok for ok, _ in outcomes)
    assert seqs_of(room.topic) == list(range(1, 21))
    events = TopicEvent.objects.filter(topic=room.topic).order_by("seq")
    assert [(e.seq, e.data["id"]) for e in events] == [(v["seq"], v["id"]) for _, v in outcomes]
    receipts = {r.ref: r.result for r in WriteReceipt.objects.filter(action="post")}
    assert receipts == {f"r{i}": value for i, (_, value) in enumerate(outcomes)}


def bulk_append_then_fail(topic: str) -> None:
    topic_event_append(topic=topic, kind="k", data={"lost": True}, bulk=True)
    raise AppError("conflict", "this write fails after staging its event")


def post_then(function, **kwargs):
    """A post, then another call in the same write (which may fail after the post was staged)."""
    result = message_post(**kwargs)
    function(topic=f"room:{kwargs['room_id']}")
    return result


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_leaves_none_of_its_staged_rows_and_a_resend_answers_the_first(make_user, make_room):
    """Staged events and receipt results join the batch only with their write: one that fails
    after staging leaves no event, no receipt and no seq; a resend later in the batch reads the
    first answer from the staged results (the row still holds the claim)."""
    alice, bob = make_user(), make_user()
    room = make_room(alice)
    first = {"author": alice, "room_id": room.id, "body": "un", "ref": "a1"}
    failing = {"author": bob, "room_id": room.id, "body": "perdu", "ref": "b1"}
    calls = [
        (message_post, first),
        (post_then, {"function": bulk_append_then_fail, **failing}),
        (message_post, {"author": bob, "room_id": room.id, "body": "deux", "ref": "b2"}),
        (message_post, first),  # a resend after another command ran: staged rows were flushed
        (message_post, {**first, "body": "autre texte"}),  # same ref again: still the first answer
    ]
    outcomes = run_batch(calls)
    assert [ok for ok, _ in outcomes] == [True, False, True, True, True]
    assert outcomes[3][1] == outcomes[4][1] == outcomes[0][1] == {"id": outcomes[0][1]["id"], "seq": 1}
    assert outcomes[2][1]["seq"] == 2
    assert seqs_of(room.topic) == [1, 2] and topic_head(room.topic) == 2
    assert not TopicEvent.objects.filter(kind="k").exists()
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == ["un", "deux"]
    assert not WriteReceipt.objects.filter(ref="b1").exists()
    assert WriteReceipt.objects.get(ref="a1").result == outcomes[0][1]


@pytest.mark.django_db(transaction=True)
def test_a_resend_in_the_same_run_of_posts_reads_the_staged_result(make_user, make_room):
    alice = make_user()
    room = make_room(alice)
    same = {"author": alice, "room_id": room.id, "body": "une fois", "ref": "same"}
    outcomes = run_batch([(message_post, same)] * 4)
    assert [value for _, value in outcomes] == [outcomes[0][1]] * 4 == [{"id": outcomes[0][1]["id"], "seq": 1}] * 4
    assert WriteReceipt.objects.get(ref="same").result == outcomes[0][1]


@pytest.mark.django_db(transaction=True)
def test_a_mute_between_two_posts_of_one_batch_stops_the_second(make_user, make_room):
    """The room read the posts share is dropped when another command runs in the batch."""
    owner, bob = make_user(), make_user()
    room = make_room(owner)
    calls = [
        (message_post, {"author": bob, "room_id": room.id, "body": "before", "ref": "b1"}),
        (mute, {"room_id": room.id, "user": bob}),
        (message_post, {"author": bob, "room_id": room.id, "body": "after", "ref": "b2"}),
        (message_post, {"author": owner, "room_id": room.id, "body": "owner", "ref": "o1"}),
    ]
    outcomes = run_batch(calls)
    assert [ok for ok, _ in outcomes] == [True, True, False, True]
    assert isinstance(outcomes[2][1], AppError) and outcomes[2][1].code == "forbidden"
    assert "muted" in outcomes[2][1].message
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == ["before", "owner"]


@pytest.mark.django_db(transaction=True)
def test_a_banned_or_muted_poster_is_refused_inside_a_batch_as_alone(make_user, make_room):
    owner, muted, banned = make_user(), make_user(), make_user()
    room = make_room(owner)
    from discussions.services import room_sanction_set

    room_sanction_set(room_id=room.id, user=muted, kind="mute", reason="x")
    room_sanction_set(room_id=room.id, user=banned, kind="ban", reason="x")
    calls = [
        (message_post, {"author": who, "room_id": room.id, "body": "hi", "ref": f"p{i}"})
        for i, who in enumerate([owner, muted, banned, owner])
    ]
    outcomes = run_batch(calls)
    assert [ok for ok, _ in outcomes] == [True, False, False, True]
    alone = []
    for who in (muted, banned):
        with pytest.raises(AppError) as error:
            message_post(author=who, room_id=room.id, body="hi", ref="alone")
        alone.append((error.value.code, error.value.message))
    assert [(value.code, value.message) for _, value in outcomes[1:3]] == alone


@pytest.mark.django_db(transaction=True)
def test_a_batch_past_its_budget_leaves_the_rest_unrun_and_unchanged(make_user, make_room):
    alice = make_user()
    room = make_room(alice)
    posts = [(message_post, {"author": alice, "room_id": room.id, "body": f"m{i}", "ref": f"r{i}"}) for i in range(4)]
    outcomes = run_batch(posts, budget_s=0.0)  # the first write always runs: a batch never stalls
    assert outcomes[0][0] and outcomes[0][1]["seq"] == 1
    assert [type(value) for _, value in outcomes[1:]] == [BatchNotRunError] * 3
    assert list(Message.objects.values_list("body", flat=True)) == ["m0"]
    assert not WriteReceipt.objects.filter(ref__in=["r1", "r2", "r3"]).exists()
    assert topic_head(room.topic) == 1


@pytest.mark.django_db(transaction=True)
async def test_writes_left_by_the_budget_go_first_in_the_next_batches_with_gapless_seqs(make_user, make_room):
    """A backlog runs in short batches (here one write each), in arrival order, none lost or
    counted as a try; another topic's write meanwhile gets its own batch between them."""
    alice = await db_thread(make_user)
    room, other = await db_thread(make_room, alice), await db_thread(make_room, alice)
    writer = TopicWriter(window_s=0.005, max_batch=50, budget_s=0.0)

    async def post(room_id: int, topic: str, i: int):
        body = {"author": alice, "room_id": room_id, "body": f"m{i}", "ref": f"{topic}-{i}"}
        return await writer.write(topic, message_post, **body)

    backlog = [asyncio.ensure_future(post(room.id, room.topic, i)) for i in range(8)]
    await asyncio.sleep(0)  # the backlog is queued first
    aside = await post(other.id, other.topic, 0)
    results = await asyncio.gather(*backlog)
    assert [r["seq"] for r in results] == list(range(1, 9))  # arrival order kept across batches
    assert aside["seq"] == 1
    assert writer.writes == 9 and writer.batches == 9  # each batch ran one write, none ran twice
    assert await db_thread(seqs_of, room.topic) == list(range(1, 9))
    # The other topic's write did not wait for the whole backlog: it committed before its last write.
    ids = await db_thread(lambda: dict(Message.objects.values_list("room_id", "id").order_by("id")))
    assert ids[other.id] < await db_thread(lambda: Message.objects.get(room=room, body="m7").id)


async def test_a_topic_is_hot_once_it_took_hot_rate_writes_within_a_second(monkeypatch):
    from realtime import batching

    now = [1000.2]
    monkeypatch.setattr(batching.time, "monotonic", lambda: now[0])
    writer = TopicWriter(window_s=0.002, max_batch=50, hot_window_s=0.05, hot_rate=3)
    for _ in range(2):
        writer._count("debate:1")
    writer._count("room:1")
    assert writer.window("debate:1") == 0.002 and writer.window("room:1") == 0.002
    writer._count("debate:1")
    assert writer.rate("debate:1") == 3 and writer.window("debate:1") == 0.05
    assert writer.window("room:1") == 0.002  # the chat of the same room keeps the short window
    now[0] = 1001.5  # the next second: still hot on the count of the one before
    writer._count("debate:1")
    assert writer.rate("debate:1") == 3 and writer.window("debate:1") == 0.05
    now[0] = 1003.0  # two quiet seconds later: short again
    assert writer.rate("debate:1") == 0 and writer.window("debate:1") == 0.002
    assert TopicWriter(window_s=0.002, max_batch=50).window("debate:1") == 0.002  # no hot window: never


async def test_a_quiet_topic_waits_for_no_window(monkeypatch):
    from realtime import batching

    now = [1000.2]
    monkeypatch.setattr(batching.time, "monotonic", lambda: now[0])
    writer = TopicWriter(window_s=0.002, max_batch=50, hot_window_s=0.05, hot_rate=20, cold_rate=5)
    for _ in range(4):
        writer._count("room:1")
    assert writer.window("room:1") == 0.0  # a chat at a few posts a second: nothing to wait for
    writer._count("room:1")
    assert writer.window("room:1") == 0.002  # five within the second: the short window again
    now[0] = 1003.0
    assert writer.window("room:1") == 0.0


@pytest.mark.django_db(transaction=True)
async def test_a_burst_on_a_quiet_topic_still_shares_batches(make_user, make_room):
    """Twenty posts at once on a quiet room: the first goes at the next turn of the loop with what
    arrived in this one, those that come while it commits go together after it."""
    alice = await db_thread(make_user)
    room = await db_thread(make_room, alice)
    writer = TopicWriter(window_s=0.002, max_batch=50, cold_rate=1000)
    bodies = [{"author": alice, "room_id": room.id, "body": f"b{i}", "ref": f"b{i}"} for i in range(20)]
    results = await asyncio.gather(*(writer.write(room.topic, message_post, **body) for body in bodies))
    assert sorted(r["seq"] for r in results) == list(range(1, 21))
    assert writer.window(room.topic) == 0.0 and writer.batches <= 2


@pytest.mark.django_db(transaction=True)
async def test_writes_to_a_hot_topic_wait_the_hot_window_and_share_a_batch(make_user, make_room):
    """Three writes 20 ms apart: three batches with the 2 ms window, one once the topic is hot."""
    alice = await db_thread(make_user)
    room = await db_thread(make_room, alice)
    writer = TopicWriter(window_s=0.002, max_batch=50, hot_window_s=0.5, hot_rate=100)

    async def spaced_posts(tag: str) -> list[dict]:
        posts = []
        for i in range(3):
            body = {"author": alice, "room_id": room.id, "body": f"{tag}{i}", "ref": f"{tag}{i}"}
            posts.append(asyncio.ensure_future(writer.write(room.topic, message_post, **body)))
            await asyncio.sleep(0.02)  # the arrivals are spaced: what the window is for
        return await asyncio.gather(*posts)

    await spaced_posts("cold")
    assert writer.batches == 3
    # Now hot: the topic took at least one write within this second or the one before (its three
    # may straddle a second's boundary, so a threshold of 3 would make this test flaky; the count
    # itself is the test above).
    writer.hot_rate = 1
    results = await spaced_posts("hot")
    assert writer.batches == 4  # all three in one batch
    assert [r["seq"] for r in results] == [4, 5, 6]


@pytest.mark.django_db(transaction=True)
async def test_the_sqlite_lane_runs_the_shortest_batch_first_and_lets_other_calls_in(settings, monkeypatch):
    """Batches waiting for the database thread run fewest writes first, then quietest topic; a run of the lane gives the
    thread back after its slice, so another call queued meanwhile runs before the rest."""
    import threading

    from realtime import batching
    from realtime.db import db_call

    settings.DB_THREADS = 1  # one database thread, as on SQLite
    monkeypatch.setattr(batching, "LANE_SLICE_SECONDS", 0.0)
    lane = batching.SqliteLane(asyncio.get_running_loop())
    ran: list[str] = []
    release = threading.Event()

    def blocker() -> str:
        release.wait(5)
        ran.append("blocker")
        return "blocker"

    def call(name: str) -> str:
        ran.append(name)
        return name

    first = asyncio.ensure_future(lane.run((0, 0), blocker))
    await asyncio.sleep(0.05)  # the blocker holds the thread
    queued = [
        asyncio.ensure_future(lane.run(priority, call, name))
        for priority, name in [((6, 50), "upvotes"), ((1, 3), "hands"), ((1, 2), "chat")]
    ]
    await asyncio.sleep(0)
    other = asyncio.ensure_future(db_call(call, "subscribe"))
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(first, *queued, other) == ["blocker", "upvotes", "hands", "chat", "subscribe"]
    assert ran == ["blocker", "subscribe", "chat", "hands", "upvotes"]


@pytest.mark.django_db(transaction=True)
async def test_a_failing_call_in_the_lane_answers_its_caller_only(settings):
    from realtime import batching

    settings.DB_THREADS = 1
    lane = batching.SqliteLane(asyncio.get_running_loop())

    def fails():
        raise AppError("conflict", "this one fails")

    outcomes = await asyncio.gather(lane.run((1, 0), fails), lane.run((2, 0), lambda: "ok"), return_exceptions=True)
    assert isinstance(outcomes[0], AppError) and outcomes[1] == "ok"
    assert await lane.run((1, 0), lambda: "again") == "again"  # the lane goes on


@pytest.mark.django_db(transaction=True)
def test_a_batch_holds_the_sqlite_writer_turn_while_it_runs(make_user, make_room):
    """The flock beside the database is held for the batch's transaction and released after it."""
    import os

    from django.db import connection

    from realtime.db import sqlite_writer_lock_path

    if connection.vendor != "sqlite":
        assert sqlite_writer_lock_path() is None  # PostgreSQL orders writers with its row locks
        return
    path = sqlite_writer_lock_path()
    assert path == str(connection.settings_dict["NAME"]) + ".writer-lock"
    alice = make_user()
    room = make_room(alice)
    other = os.open(path, os.O_RDWR | os.O_CREAT)  # another process's view: its own open file
    seen: list[str] = []

    def try_the_turn() -> None:
        seen.append(writer_turn_seen(other))

    try:
        outcomes = run_batch(
            [
                (try_the_turn, {}),
                (message_post, {"author": alice, "room_id": room.id, "body": "m", "ref": "turn"}),
            ]
        )
        assert [ok for ok, _ in outcomes] == [True, True]
        try_the_turn()
    finally:
        os.close(other)
    assert seen == ["held", "free"]


@pytest.mark.django_db(transaction=True)
def test_a_batch_asks_for_its_tokens_on_its_thread_before_its_transaction_and_turn(make_user, make_room, monkeypatch):
    """The writes' rate-limit tokens are asked for on the database thread, in one call, before the
    batch opens its transaction or (SQLite) takes the writers' turn: the round trip holds no lock,
    and no turn of a busy event loop sits between it and the batch. A refused token refuses its
    write alone."""
    import os

    from django.db import connection

    from realtime import batching
    from realtime.db import sqlite_writer_lock_path

    alice, bob = make_user(), make_user()
    room = make_room(alice)
    path = sqlite_writer_lock_path()
    other = os.open(path, os.O_RDWR | os.O_CREAT) if path else None
    asked: list[tuple[list, bool, str]] = []

    def take_many(keys: list) -> list[float]:
        turn = "none" if other is None else writer_turn_seen(other)
        asked.append((list(keys), connection.in_atomic_block, turn))
        return [0.0, 2.5]  # alice's taken, bob's refused: 2.5 s to wait

    monkeypatch.setattr(batching.ratelimit, "write_take_many", take_many)
    taken = batching.BatchTokens([alice.pk, bob.pk])
    try:
        outcomes = batching.run_batch_taking_tokens(
            [
                (message_post, {"author": alice, "room_id": room.id, "body": "a", "ref": "tok-a"}),
                (message_post, {"author": bob, "room_id": room.id, "body": "b", "ref": "tok-b"}),
            ],
            None,
            taken,
        )
    finally:
        if other is not None:
            os.close(other)
    assert asked == [([alice.pk, bob.pk], False, "free" if path else "none")]
    (ok_a, _), (ok_b, refused) = outcomes
    assert ok_a and not ok_b and isinstance(refused, AppError) and refused.code == "rate_limited"
    assert [t.used for t in taken.tokens] == [True, True]  # each write read its own token
    assert list(Message.objects.filter(room=room).values_list("body", flat=True)) == ["a"]


@pytest.mark.django_db(transaction=True)
async def test_a_running_batch_yields_to_a_shorter_one_after_the_write_under_way(make_user, make_room):
    """Three upvote-like writes run as one batch on the lane; while the first runs, a one-write
    batch (a chat post) queues: the long batch stops after that write (the other two are left
    for its topic's next batch), the short one runs next. Without a shorter batch waiting, a
    batch runs whole."""
    import threading

    from realtime.batching import SqliteLane

    alice = await db_thread(make_user)
    room = await db_thread(make_room, alice)
    loop = asyncio.get_running_loop()
    lane = SqliteLane(loop)
    pushed = threading.Event()
    order: list[str] = []

    def post(body: str) -> dict:
        order.append(body)
        return message_post(author=alice, room_id=room.id, body=body, ref=body)

    async def short_batch():
        task = asyncio.ensure_future(lane.run((1, 0), run_batch, [(post, {"body": "short"})], None, None, None))
        await asyncio.sleep(0)  # the task ran up to its wait: queued on the lane
        pushed.set()
        return await task

    short: list = []

    def first() -> dict:
        short.append(asyncio.run_coroutine_threadsafe(short_batch(), loop))
        assert pushed.wait(5)
        return post("long-1")

    calls = [(first, {}), (post, {"body": "long-2"}), (post, {"body": "long-3"})]
    outcomes = await lane.run((3, 50), run_batch, calls, None, None, lane.shorter_waiting)
    assert [ok for ok, _ in outcomes] == [True, False, False]
    assert all(isinstance(value, BatchNotRunError) for _, value in outcomes[1:])
    ((ok, _),) = await asyncio.wrap_future(short[0])
    assert ok and order == ["long-1", "short"]

    again = await lane.run((2, 50), run_batch, calls[1:], None, None, lane.shorter_waiting)
    assert [ok for ok, _ in again] == [True, True]  # nothing shorter waits: the batch runs whole
    assert await db_thread(seqs_of, room.topic) == [1, 2, 3, 4]


def test_the_writer_turn_gives_up_after_the_timeout_and_is_off_for_memory_or_by_setting(tmp_path, settings):
    import fcntl
    import os

    from realtime import db

    path = str(tmp_path / "db.sqlite3.writer-lock")
    holder, waiter = os.open(path, os.O_RDWR | os.O_CREAT), os.open(path, os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        assert db._writer_turn_take(waiter, 0.02) is False  # held elsewhere: goes on without it
        fcntl.flock(holder, fcntl.LOCK_UN)
        assert db._writer_turn_take(waiter, 0.02) is True
        fcntl.flock(waiter, fcntl.LOCK_UN)
    finally:
        os.close(holder)
        os.close(waiter)
    settings.REALTIME_SQLITE_WRITER_TURN = False
    assert db.sqlite_writer_lock_path() is None


def stage_counts() -> dict[str, float]:
    from prometheus_client import REGISTRY

    return {
        f"{kind}.{stage}": REGISTRY.get_sample_value("cl_write_stage_seconds_count", {"stage": stage, "kind": kind})
        or 0.0
        for stage in ("queued", "turn", "run", "answered")
        for kind in ("room", "other")
    }


@pytest.mark.django_db(transaction=True)
async def test_each_write_and_batch_is_timed_by_stage(make_user, make_room):
    """`cl_write_stage_seconds{stage,kind}`: one `queued` per write, one turn, run and answered per
    batch; the writes not run by a batch (its budget spent) are timed in the batch that runs them."""
    alice = await db_thread(make_user)
    room = await db_thread(make_room, alice)
    writer = TopicWriter(window_s=0.005, max_batch=50, budget_s=0.0)  # one write per batch
    before = stage_counts()
    results = await asyncio.gather(
        *(
            writer.write(room.topic, message_post, author=alice, room_id=room.id, body=f"m{i}", ref=f"r{i}")
            for i in range(6)
        )
    )
    assert sorted(r["seq"] for r in results) == list(range(1, 7))
    after = stage_counts()
    moved = {stage: after[stage] - before[stage] for stage in after}
    assert writer.batches >= 6
    assert {k: v for k, v in moved.items() if v} == {
        "room.queued": 6,
        "room.turn": 6,
        "room.run": 6,
        "room.answered": 6,
    }
    # A topic of no kind the server knows (a client's invention) gets no label of its own.
    await writer.write("invented:1", message_post, author=alice, room_id=room.id, body="x", ref="x")
    assert stage_counts()["other.queued"] - after["other.queued"] == 1
