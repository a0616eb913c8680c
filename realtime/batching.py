"""Group commit: the writes to one topic that arrive together share one transaction.

A meeting's writes land on one topic at once (1,000 votes within a second, a room where
everybody posts). Committed one by one they queue behind the topic row's lock and pay one
commit each. Here each process keeps one writer per topic: the first write waits a few
milliseconds (``REALTIME_GROUP_COMMIT_WINDOW_MS``) for others, then the batch runs in one
database call and one transaction:

- every write runs in its own savepoint, so one that fails (a domain error, a constraint)
  rolls back alone and its writer gets its own error; the others commit;
- the topic row is upserted once per batch; the seqs of the batch are handed out in memory
  and the head written once before commit (``SeqRange``), so seqs stay gapless (a failed
  write gives its seqs back) and in commit order across processes (the row stays locked
  until commit);
- rows a write only appends (a post's event, a write's receipt result) are staged with
  ``batch_create`` / ``batch_receipt_result`` and written with one statement per table for the
  writes of one command (``BatchRows``), once they succeeded: a failed write's rows are dropped
  with its savepoint, and whenever the batch's cache is dropped (another command, a failed
  write) the staged rows are written first, so no read of the batch misses them;
- what the services publish on commit still happens on commit (Django drops the on-commit
  callbacks of a rolled-back savepoint), in the order the writes ran;
- if the batch as a whole cannot commit (a deadlock, a lost connection), each of its writes
  runs again alone, so every writer still gets the answer its own write deserves.
- a write that meets a lock or statement timeout (the other process's batch holds the topic
  row past `lock_timeout`) rolls back to its savepoint; it and the writes behind it (which would
  wait as long) go first in the next batch. That counts as a try for each of them: after
  BUSY_ATTEMPTS tries a write answers `rate_limited` with `retry_after` (never `internal`), so
  under a lock held for good every writer is answered within about BUSY_ATTEMPTS × lock_timeout.

- a hot topic waits longer to batch: once it took ``REALTIME_GROUP_COMMIT_HOT_RATE`` writes within a
  second in this process, its first write waits ``REALTIME_GROUP_COMMIT_HOT_WINDOW_MS`` (not the
  2 ms window) for the others. A debate's hundred upvotes a second then commit in a few shared
  transactions instead of one each (at that rate the 2 ms window catches no second write): the
  database and its one SQLite writer are busy a fraction of the time, and the room's chat, whose
  writes keep the short window, waits less behind them. Each upvote waits up to that long more for
  its `ok`; the ranking is coalesced to four frames a second anyway.
- the writes' rate-limit tokens are asked of Redis in one call, on the database thread just before
  the batch's transaction (``run_batch_taking_tokens``), not awaited on the event loop: when the
  loop is busy fanning out a debate, every turn of it a write waited for cost it tens of
  milliseconds (bench.debate: a chat post's Redis answer reached the writer 24 ms late at the
  p90, 55 ms at worst).
- on SQLite a batch takes the file's write lock through ``sqlite_writer_turn`` (realtime.db): a
  process waiting for the other's batch is woken at its commit instead of sleeping in SQLite's
  busy handler (1, 2, 5, 10, 15, 20, 25 ms … steps).
- on SQLite every batch of the process runs on its one database thread: the batches waiting for
  it go shortest first (``SqliteLane``): fewest writes, then the quietest topic (fewest writes in
  this second and the one before), then arrival. A chat message then waits for the batch that is
  running, not also for the upvotes and raised hands queued before it; a topic has at most one
  batch waiting, so a long batch waits for at most one batch of each other topic. And the running
  batch yields to a shorter one that waits (``SqliteLane.shorter_waiting``): it stops after the
  write under way, and the writes it left go first in its topic's next batch, as with the budget
  below. The chat message waits for one upvote, not for the rest of their batch; every batch
  still runs at least one write per turn, so a long one is slowed, never stalled.
- a batch stops taking writes once it has run for ``REALTIME_GROUP_COMMIT_BUDGET_MS``: the writes
  left go first in the topic's next batch (not a try). A topic with a backlog (a hundred upvotes a
  second) thus holds the database for a bounded time, and the other topics' batches (the room's
  chat) run in between instead of waiting behind hundreds of its writes. On SQLite every write
  of a process queues on one thread and the file has one writer: that bound is the chat's wait.

The services themselves do not change: a batched call is the same ``function(**kwargs)``
the consumer would have run alone, and its own ``transaction.atomic`` nests as a savepoint.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

from realtime import metrics, ratelimit
from realtime.auth import signed_in
from realtime.db import database_timeout_error, db_call, single_database_thread, sqlite_writer_turn
from realtime.errors import AppError
from realtime.models import Topic, WriteReceipt

log = logging.getLogger(__name__)

_local = threading.local()


class SeqRange:
    """The seqs a batch hands out, per topic: one upsert (which locks the row) on first use,
    then in memory; ``flush`` writes the final head inside the batch's transaction."""

    def __init__(self):
        self.first: dict[str, int] = {}  # topic -> head the upsert returned (the first seq given)
        self.last: dict[str, int] = {}  # topic -> last seq given

    def next(self, topic: str) -> int:
        if topic not in self.last:
            seq = _upsert_head(topic, 1)
            self.first[topic] = self.last[topic] = seq
            return seq
        self.last[topic] += 1
        return self.last[topic]

    def mark(self) -> tuple[dict, dict]:
        return dict(self.first), dict(self.last)

    def rewind(self, mark: tuple[dict, dict]) -> None:
        """A write's savepoint rolled back (its upsert too, if it made the first): forget its seqs."""
        self.first, self.last = dict(mark[0]), dict(mark[1])

    def flush(self) -> None:
        table = Topic._meta.db_table
        with connection.cursor() as cursor:
            for topic, last in self.last.items():
                if last != self.first[topic]:
                    cursor.execute(f"UPDATE {table} SET head = %s WHERE name = %s", [last, topic])


def _upsert_head(topic: str, by: int) -> int:
    table = Topic._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, head) VALUES (%s, %s) "
            f"ON CONFLICT (name) DO UPDATE SET head = {table}.head + %s RETURNING head",
            [topic, by, by],
        )
        return cursor.fetchone()[0]


class BatchRows:
    """Rows staged by the writes of a batch, written in bulk: one INSERT per model for the
    created rows, one UPDATE for the receipts' results, one UPDATE per row changed in memory. A write stages into its own lists, which
    join the batch's only once its savepoint is released; ``flush`` runs before the batch runs
    another command (whose reads might look for them) and before commit."""

    def __init__(self):
        self.created: dict[type, list] = {}
        self.results: dict[int, dict] = {}  # receipt id -> result
        self.write_created: list = []
        self.write_results: dict[int, dict] = {}
        self.write_undo: list[Callable[[], None]] = []
        self.saves: dict[int, tuple[Any, set[str]]] = {}  # id(instance) -> (instance, fields)
        self.write_saves: list[tuple[Any, list[str]]] = []

    def drop_write(self) -> None:
        for undo in reversed(self.write_undo):
            undo()
        self.forget_write()

    def keep_write(self) -> None:
        for instance in self.write_created:
            self.created.setdefault(type(instance), []).append(instance)
        self.results.update(self.write_results)
        for instance, fields in self.write_saves:
            self.saves.setdefault(id(instance), (instance, set()))[1].update(fields)
        self.forget_write()

    def forget_write(self) -> None:
        self.write_created = []
        self.write_results = {}
        self.write_undo = []
        self.write_saves = []

    def flush(self) -> None:
        for instance, fields in self.saves.values():
            instance.save(update_fields=sorted(fields))
        self.saves = {}
        for model, instances in self.created.items():
            model.objects.bulk_create(instances)
        self.created = {}
        if self.results:
            _receipt_results_write(self.results)
            self.results = {}


def _receipt_results_write(results: dict[int, dict]) -> None:
    """One UPDATE … FROM (VALUES …) for the receipts' results (Django's bulk_update builds a CASE
    per row whose expressions it copies: most of the batch's flush time in the S7 profile)."""
    table = WriteReceipt._meta.db_table
    field = WriteReceipt._meta.get_field("result")
    rows = ", ".join(["(%s, %s)"] * len(results))
    params = [value for pk, result in results.items() for value in (pk, field.get_db_prep_value(result, connection))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET result = v.column2 FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1", params
        )


def _write_rows() -> BatchRows | None:
    """The running batch's staged rows while one of its writes runs (``in_batched_write``), else None."""
    return getattr(_local, "rows", None) if in_batched_write() else None


def batch_create(model: type, **fields) -> Any:
    """``model.objects.create(**fields)``, or, inside a batched write, the unsaved instance staged for
    the batch's bulk INSERT. Only for a row that nothing reads back before the batch runs another
    command (its pk is not set until then): a post's event."""
    rows = _write_rows()
    if rows is None:
        return model.objects.create(**fields)
    instance = model(**fields)
    rows.write_created.append(instance)
    return instance


def batch_staged(instance) -> bool:
    """Whether ``instance`` is a row staged by ``batch_create`` and not yet written."""
    return instance.pk is None and getattr(_local, "rows", None) is not None


def batch_undo(function: Callable[[], None]) -> None:
    """Inside a batched write: ``function()`` if the write rolls back (a write that changes a row
    an earlier write of the batch staged puts it back so); outside a batch nothing is staged."""
    rows = _write_rows()
    if rows is not None:
        rows.write_undo.append(function)


def batch_save(instance, fields: list[str]) -> None:
    """``instance.save(update_fields=fields)``, or, inside a batched write, once for the writes of
    one command (a proposal's counts, moved by each vote). The caller changed ``instance`` in
    memory and registered with ``batch_undo`` how to put it back if the write rolls back; the
    instance must be the one every write of the command reads (``batch_cached``)."""
    rows = _write_rows()
    if rows is None:
        instance.save(update_fields=fields)
        return
    rows.write_saves.append((instance, fields))


def batch_receipt_result(receipt_id: int, result: dict) -> bool:
    """Stage a receipt's result for the batch's one UPDATE; False outside a batched write (the
    caller writes it now)."""
    rows = _write_rows()
    if rows is None:
        return False
    rows.write_results[receipt_id] = result
    return True


def batch_staged_result(receipt_id: int) -> dict | None:
    """The result an earlier write of the running batch staged for this receipt (a resend inside
    one batch reads it here: the row still holds the claim's empty result)."""
    rows = getattr(_local, "rows", None)
    return None if rows is None else rows.results.get(receipt_id)


def next_seq(topic: str) -> int:
    """The topic's next seq, inside the caller's transaction: from the batch's range when a
    batch is running on this thread, else from one upsert that locks the row until commit."""
    seqs = getattr(_local, "seqs", None)
    if seqs is not None:
        return seqs.next(topic)
    return _upsert_head(topic, 1)


def batch_cached(key: object, compute: Callable[[], Any]) -> Any:
    """``compute()``, shared by the consecutive writes of one command in the running batch (the
    posts of a storm read their room once). Outside a batch it is simply computed. The cache is
    dropped whenever the batch runs another command, or a write of it fails, so a value is only
    ever reused across writes that cannot change it (the caller's promise: e.g. posting changes
    no room, membership or sanction). Under PostgreSQL a change committed by another process
    meanwhile is seen from the next batch, as if it had committed just after this one began."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def batch_before_commit(key: object, function: Callable[[], None]) -> None:
    """``function()`` once for the running batch, after its last write and before it commits,
    however many of its writes ask (the upvotes of a batch bump their debate's version once);
    outside a batch it runs now. It runs even if the writes that asked rolled back, so it must
    be harmless then (a version that grows once more, a snapshot recomputed once more)."""
    deferred = getattr(_local, "deferred", None)
    if deferred is None or getattr(_local, "cache", None) is None:
        function()
        return
    deferred.setdefault(key, function)


@dataclass
class WriteToken:
    """The rate-limit token a batch asked for, for one of its writes, before running them
    (`ratelimit.write_take_many`): its user, the wait Redis answered (0: taken), whether used."""

    user_key: object
    wait: float
    used: bool = False


def batch_write_token(user_key: object) -> float | None:
    """The wait of the token the running batch took for its running write, if that write's user
    is `user_key` and has not used it; None when the write must take its own (`write_allow`)."""
    token = getattr(_local, "token", None)
    if token is None or token.used or token.user_key != user_key:
        return None
    token.used = True
    return token.wait


def in_batched_write() -> bool:
    """Whether this thread is running one write of a batch, inside that write's own savepoint."""
    return getattr(_local, "cache", None) is not None


class BatchNotRunError(Exception):
    """A write the batch left for the next one: the batch had used its time budget."""


class BatchBusyError(Exception):
    """A batched write that did not run, or rolled back, because the database was busy (a lock or
    statement timeout): nothing of it stayed, so the writer runs it again in a later batch."""

    def __init__(self, answer: AppError):
        super().__init__(answer.message)
        self.answer = answer


# How many batches a write may run in (the first and one more) after database timeouts before its writer gets
# the `rate_limited` answer. With two processes writing one topic, one batch can wait for the
# other's lock past `lock_timeout`; the next try usually finds it free.
BUSY_ATTEMPTS = 2


@dataclass
class BatchClock:
    """When a batch started on its database thread, held its turn and committed
    (time.perf_counter), for the writer's `stages_observe`."""

    started: float = 0.0
    turn_at: float = 0.0
    committed_at: float = 0.0


def run_batch(
    calls: list[tuple[Callable, dict]],
    budget_s: float | None = None,
    tokens: list[WriteToken | None] | None = None,
    yield_to: Callable[[], bool] | None = None,
    clock: BatchClock | None = None,
) -> list[tuple[bool, Any]]:
    """Run the calls in one transaction, each in its own savepoint: [(ok, result or exception)].
    Once ``budget_s`` has passed, or once ``yield_to()`` says a shorter batch waits for the thread
    (``SqliteLane.shorter_waiting``), the calls not yet run are answered ``BatchNotRunError``; the
    first call always runs. ``tokens[i]``, if any, is the rate-limit token taken beforehand for
    ``calls[i]``."""
    deadline = None if budget_s is None else time.monotonic() + budget_s
    outcomes: list[tuple[bool, Any]] = []
    seqs = SeqRange()
    rows = BatchRows()
    _local.seqs = seqs
    _local.rows = rows
    _local.deferred = deferred = {}
    cache: dict = {}
    cached_for: Callable | None = None
    busy: BatchBusyError | None = None
    try:
        with sqlite_writer_turn(), transaction.atomic():
            if clock is not None:
                clock.turn_at = time.perf_counter()
            for index, (function, kwargs) in enumerate(calls):
                if busy is not None:
                    # A lock or statement timeout already hit this batch: the writes behind it
                    # would each wait as long again; they go again in the next batch instead.
                    outcomes.append((False, BatchBusyError(busy.answer)))
                    continue
                if outcomes and (
                    (deadline is not None and time.monotonic() > deadline) or (yield_to is not None and yield_to())
                ):
                    outcomes.append((False, BatchNotRunError()))
                    continue
                if function is not cached_for:  # batch_cached: shared by one command's writes only
                    cache.clear()
                    cached_for = function
                    rows.flush()  # this command's reads see the rows the previous one staged
                mark = seqs.mark()
                _local.cache = cache
                _local.token = tokens[index] if tokens else None
                try:
                    with transaction.atomic():
                        outcomes.append((True, function(**kwargs)))
                    rows.keep_write()
                except OperationalError as exc:
                    rows.drop_write()
                    cache.clear()
                    seqs.rewind(mark)
                    answer = database_timeout_error(exc)
                    busy = BatchBusyError(answer) if answer is not None else None
                    outcomes.append((False, busy or exc))
                    if busy is None:
                        rows.flush()
                    if busy is not None:
                        log.info("database timeout in a batched write (%s): it and the rest go again", exc.__cause__)
                except Exception as exc:  # this write's own answer; the batch goes on
                    rows.drop_write()
                    cache.clear()  # what the cache knew of the staged rows goes: they are written now
                    rows.flush()
                    seqs.rewind(mark)
                    outcomes.append((False, exc))
                finally:
                    _local.cache = None
                    _local.token = None
            rows.flush()
            for function in deferred.values():
                function()
            seqs.flush()
        if clock is not None:  # committed, and what it publishes on commit published
            clock.committed_at = time.perf_counter()
    finally:
        _local.seqs = None
        _local.rows = None
        _local.cache = None
        _local.token = None
        _local.deferred = None
    return outcomes


def _run_alone(function: Callable, kwargs: dict) -> tuple[bool, Any]:
    try:
        return True, function(**kwargs)
    except Exception as exc:
        return False, exc


@dataclass
class _Write:
    function: Callable
    kwargs: dict
    future: asyncio.Future = field(repr=False)
    attempts: int = 0
    queued_at: float = field(default_factory=time.perf_counter)


STAGE_NAMES = ("queued", "turn", "run", "answered")


def stages_observe(topic: str, batch: list[_Write], clock: BatchClock, answered_at: float) -> None:
    """A committed batch's stages (`cl_write_stage_seconds{stage,kind}`, `kind` its topic's kind:
    `room` is the chat): how long each of its writes was queued, then, once for the batch, whose
    writes share them, its turn, its run and the hop back to the event loop."""
    if not clock.committed_at:
        return  # the batch raised: its writes go again or alone
    kind = topic.partition(":")[0]
    if kind not in settings.REALTIME_TOPIC_KINDS:  # a client's made-up topic: no label of its own
        kind = "other"
    queued, turn, run, answered = (metrics.WRITE_STAGE.labels(stage, kind) for stage in STAGE_NAMES)
    for write in batch:
        queued.observe(max(0.0, clock.started - write.queued_at))
    turn.observe(max(0.0, clock.turn_at - clock.started))
    run.observe(max(0.0, clock.committed_at - clock.turn_at))
    answered.observe(max(0.0, answered_at - clock.committed_at))


class SqliteLane:
    """On SQLite, the process's batches in one queue ordered by priority, run back to back on the
    database thread (``run``). One call of ``_run_queued`` (a ``db_call``) runs the queued batches,
    lowest priority first (a tuple: the batch's writes, then its topic's rate), then arrival; it
    returns after LANE_SLICE_SECONDS so that the other database calls of the process (a
    subscribe's reads, an HTTP request), which queue on the same thread, wait at most about that
    long; another call then goes on with the rest."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queued: list[tuple[tuple, int, float, Callable, tuple, asyncio.Future]] = []
        self._order = itertools.count()
        self._guard = threading.Lock()
        self._running = False  # a `_run_queued` call is queued or running
        self._priority: tuple | None = None  # the priority of the call running on the thread
        self._runners: set[asyncio.Task] = set()

    async def run(self, priority: tuple, function: Callable, *args) -> Any:
        """``function(*args)`` on the database thread, after the queued calls of lower priority."""
        future = self.loop.create_future()
        with self._guard:
            heapq.heappush(self._queued, (priority, next(self._order), time.perf_counter(), function, args, future))
            start, self._running = not self._running, True
        if start:
            self._runner_start()
        return await future

    def shorter_waiting(self) -> bool:
        """Whether a call of lower priority than the running one waits (a chat post's batch behind
        a batch of upvotes): the running batch then stops at its next write (`run_batch`'s
        `yield_to`), and the post waits for one write instead of the rest of the batch."""
        with self._guard:
            return bool(self._queued) and self._priority is not None and self._queued[0][0] < self._priority

    def _runner_start(self) -> None:
        # A fresh context: one copied from the database thread (the restart below) carries
        # asgiref's "inside a sync call" flag, and its db_call would refuse to run ("deadlock").
        task = self.loop.create_task(self._runner(), context=contextvars.Context())
        self._runners.add(task)
        task.add_done_callback(self._runners.discard)

    async def _runner(self) -> None:
        try:
            await db_call(self._run_queued)
        except BaseException as exc:  # the thread itself failed: every queued batch gets the error
            with self._guard:
                queued, self._queued, self._running = self._queued, [], False
            for *_, future in queued:
                _settle(future, None, exc)
            if not isinstance(exc, Exception):
                raise

    def _run_queued(self) -> None:
        deadline = time.monotonic() + LANE_SLICE_SECONDS
        ran = False
        while True:
            with self._guard:
                if not self._queued:
                    self._running = False
                    return
                if ran and time.monotonic() > deadline:  # the rest in the next call, behind the others
                    self.loop.call_soon_threadsafe(self._runner_start)
                    return
                priority, _, queued_at, function, args, future = heapq.heappop(self._queued)
                self._priority = priority
            ran = True
            metrics.DB_POOL_WAIT.observe(time.perf_counter() - queued_at)
            try:
                result = function(*args)
            except BaseException as exc:  # the caller's to handle, as from db_call
                self.loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                self.loop.call_soon_threadsafe(_settle, future, result, None)
            finally:
                self._priority = None


def _settle(future: asyncio.Future, result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(result)
    elif isinstance(exc, asyncio.CancelledError):  # the process is stopping
        future.cancel()
    else:
        future.set_exception(exc)


# How long one run of the SQLite lane holds the database thread before the other calls' turn.
LANE_SLICE_SECONDS = 0.05
# How many topics' write rates a writer remembers before forgetting those idle for a second or more.
RATES_MAX = 10_000


class TopicWriter:
    """Per process: one queue of pending writes per topic, drained batch by batch."""

    def __init__(
        self,
        window_s: float,
        max_batch: int,
        budget_s: float | None = None,
        hot_window_s: float | None = None,
        hot_rate: float = 20.0,
        cold_rate: float = 0.0,
    ):
        self.loop = asyncio.get_running_loop()
        self.window_s = window_s
        self.max_batch = max_batch
        self.budget_s = budget_s
        self.hot_window_s = hot_window_s
        self.hot_rate = hot_rate
        self.cold_rate = cold_rate
        self.pending: dict[str, list[_Write]] = {}
        self.draining: set[str] = set()
        self.lane = SqliteLane(self.loop) if single_database_thread() else None
        # topic -> [second of the monotonic clock, writes in it, writes in the second before]
        self.rates: dict[str, list[int]] = {}
        self.batches = 0
        self.writes = 0

    async def write(self, topic: str, function: Callable, **kwargs) -> Any:
        """``function(**kwargs)`` committed with the other writes to ``topic`` that arrive meanwhile;
        returns its result or raises its own exception."""
        future = asyncio.get_running_loop().create_future()
        self._count(topic)
        self.pending.setdefault(topic, []).append(_Write(function, kwargs, future))
        if topic not in self.draining:
            self.draining.add(topic)
            asyncio.get_running_loop().create_task(self._drain(topic))
        return await future

    def _count(self, topic: str) -> None:
        second = int(time.monotonic())
        entry = self.rates.get(topic)
        if entry is None or entry[0] != second:
            before = entry[1] if entry is not None and entry[0] == second - 1 else 0
            if entry is None and len(self.rates) >= RATES_MAX:
                self.rates = {name: seen for name, seen in self.rates.items() if seen[0] >= second - 1}
            entry = self.rates[topic] = [second, 0, before]
        entry[1] += 1

    def rate(self, topic: str) -> int:
        """Writes to ``topic`` in this process within this second or the one before (the larger)."""
        entry, second = self.rates.get(topic), int(time.monotonic())
        if entry is None or entry[0] < second - 1:
            return 0
        return max(entry[1], entry[2]) if entry[0] == second else entry[1]

    def window(self, topic: str) -> float:
        """How long the first write of a batch waits for others: the hot window once the topic
        took ``hot_rate`` writes within this second or the one before, none (the next turn of the
        loop) below ``cold_rate``, else the short one."""
        rate = self.rate(topic)
        if self.hot_window_s is not None and rate >= self.hot_rate:
            return self.hot_window_s
        if rate < self.cold_rate:
            return 0.0
        return self.window_s

    async def _drain(self, topic: str) -> None:
        try:
            window = self.window(topic)
            if window > 0:  # the group-commit window: let the others arrive
                await asyncio.sleep(window)
            # else none: this task started on the loop's next turn, after the writes of this one
            while batch := self._take(topic):
                await self._commit(topic, batch)
        finally:
            self.draining.discard(topic)

    def _take(self, topic: str) -> list[_Write]:
        queue = self.pending.get(topic)
        if not queue:
            self.pending.pop(topic, None)
            return []
        batch, self.pending[topic] = queue[: self.max_batch], queue[self.max_batch :]
        return batch

    async def _commit(self, topic: str, batch: list[_Write]) -> None:
        taken = BatchTokens(_token_keys(batch))
        clock = BatchClock()
        ran_alone = False
        try:
            calls = [(w.function, w.kwargs) for w in batch]
            run = run_batch_taking_tokens
            if self.lane is not None:
                priority = (len(calls), self.rate(topic))
                shorter = self.lane.shorter_waiting
                outcomes = await self.lane.run(priority, run, calls, self.budget_s, taken, shorter, clock)
            else:
                outcomes = await db_call(run, calls, self.budget_s, taken, None, clock)
        except AppError as exc:
            # The database is busy (a lock or statement timeout, no free thread: realtime.db):
            # nothing of the batch committed; every write goes again, as below.
            outcomes = [(False, BatchBusyError(exc)) for _ in batch]
        except Exception:
            log.warning("a batch of %d writes could not commit; running each alone", len(batch), exc_info=True)
            outcomes = [await db_call(_run_alone, w.function, w.kwargs) for w in batch]
            ran_alone = True  # each took its own token
        self.batches += 1
        self.writes += sum(not isinstance(value, BatchNotRunError) for _, value in outcomes)
        if not ran_alone:
            ran = [w for w, (_, value) in zip(batch, outcomes, strict=True) if not isinstance(value, BatchNotRunError)]
            stages_observe(topic, ran, clock, time.perf_counter())
        again: list[_Write] = []
        for w, (ok, value) in zip(batch, outcomes, strict=True):
            if w.future.done():
                continue
            if not ok and isinstance(value, BatchNotRunError):
                again.append(w)
                continue
            if not ok and isinstance(value, BatchBusyError):
                w.attempts += 1  # the batch met a busy database: a try for every write in it
                if w.attempts < BUSY_ATTEMPTS:
                    again.append(w)
                    continue
                value = value.answer
            if ok:
                w.future.set_result(value)
            else:
                w.future.set_exception(value)
        if again:  # first in the next batch, in their order (the drain loop takes them)
            self.pending[topic] = again + self.pending.get(topic, [])
        tokens = taken.tokens
        if tokens:
            # A token stays spent only by a write that used it and got its answer; the others
            # (not run, rolled back to run again, run alone) give it back.
            retried = {id(w) for w in again}
            await ratelimit.write_give_back(
                [
                    token.user_key
                    for token, w in zip(tokens, batch, strict=True)
                    if token is not None and token.wait == 0 and (ran_alone or not token.used or id(w) in retried)
                ]
            )


def _token_keys(batch: list[_Write]) -> list[object | None]:
    """The user whose write-rate token each write of the batch takes (None: not signed in)."""
    return [w.kwargs["user"].pk if signed_in(w.kwargs.get("user")) else None for w in batch]


class BatchTokens:
    """The rate-limit tokens of one batch, taken on the database thread (`run_batch_taking_tokens`)
    and read by the writer afterwards to give back those of writes that did not run, even when
    the batch itself raised."""

    def __init__(self, keys: list[object | None]) -> None:
        self.keys = keys
        self.tokens: list[WriteToken | None] | None = None

    def take(self) -> list[WriteToken | None] | None:
        waits = ratelimit.write_take_many([key for key in self.keys if key is not None])
        if waits is not None:
            answers = iter(waits)
            self.tokens = [None if key is None else WriteToken(key, next(answers)) for key in self.keys]
        return self.tokens


def run_batch_taking_tokens(
    calls: list[tuple[Callable, dict]],
    budget_s: float | None,
    tokens: BatchTokens,
    yield_to: Callable[[], bool] | None = None,
    clock: BatchClock | None = None,
):
    """`run_batch`, after asking Redis for the writes' tokens in one call (outside the transaction
    and, on SQLite, before the writers' turn: the round trip holds neither lock)."""
    if clock is not None:
        clock.started = time.perf_counter()
    return run_batch(calls, budget_s, tokens.take(), yield_to, clock)


_writer: TopicWriter | None = None


def topic_writer() -> TopicWriter:
    """The process's writer (created on first use, from settings; anew if the event loop changed)."""
    global _writer
    if _writer is None or _writer.loop is not asyncio.get_running_loop():
        budget_ms = settings.REALTIME_GROUP_COMMIT_BUDGET_MS
        hot_ms = settings.REALTIME_GROUP_COMMIT_HOT_WINDOW_MS
        _writer = TopicWriter(
            settings.REALTIME_GROUP_COMMIT_WINDOW_MS / 1000.0,
            settings.REALTIME_GROUP_COMMIT_MAX_BATCH,
            budget_ms / 1000.0 if budget_ms > 0 else None,
            hot_window_s=hot_ms / 1000.0 if hot_ms > 0 else None,
            hot_rate=settings.REALTIME_GROUP_COMMIT_HOT_RATE,
            cold_rate=settings.REALTIME_GROUP_COMMIT_COLD_RATE,
        )
    return _writer
