"""Taking text back out of the stored event streams (edits, deletions, erased accounts).

Replay reads `TopicEvent` rows, so a text is gone from every replay, on every process, once
its rows no longer hold it. The events keep their `seq` (a stream has no holes); their
`data` becomes a tombstone. Both functions run in the caller's transaction, beside the write
that makes the text obsolete, so nobody can replay the old text after that write commits.
No process keeps event frames beyond the moment it hands them to its sockets (the hub's
reorder buffer and a subscription's replay seam hold them for milliseconds), so there is no
other copy to chase.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Q, TextField
from django.db.models.functions import Cast

from realtime.models import TopicEvent


def topic_events_redact(*, topic: str, object_id: int, kinds: Iterable[str], keep: Iterable[str] = ("id",)) -> int:
    """Tombstone the stored events of `topic` whose `data.id` is `object_id` and kind in `kinds`.

    Only the `keep` fields survive, plus `redacted: true` and an empty `body`. Returns how many
    events were redacted."""
    if not connection.in_atomic_block:
        raise RuntimeError("topic_events_redact must run inside transaction.atomic")
    kept = tuple(keep)
    count = 0
    events = TopicEvent.objects.select_for_update().filter(topic=topic, kind__in=list(kinds), data__id=object_id)
    for event in events:
        if event.data.get("redacted"):
            continue
        event.data = {key: event.data[key] for key in kept if key in event.data} | {"body": "", "redacted": True}
        event.save(update_fields=["data"])
        count += 1
    return count


def _sqlite_wal_truncate() -> None:
    """SQLite's write-ahead log keeps old page images (old text) until it is checkpointed and cut.

    Best effort and brief: with a reader still on an old snapshot the log is cut at the next
    redaction instead of waiting here."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 200")
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(connection.settings_dict['OPTIONS'].get('timeout', 5) * 1000)}")


def _after_commit_forget() -> None:
    if connection.vendor == "sqlite":
        transaction.on_commit(_sqlite_wal_truncate)


def string_values_replace(value: object, old: str, new: str) -> object:
    """`value` (JSON-like) with every string equal to `old` replaced by `new`, at any depth."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [string_values_replace(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: string_values_replace(item, old, new) for key, item in value.items()}
    return value


def json_text_names(name: str, field: str = "as_text") -> Q:
    """A filter on a JSON column cast to text (`field`) for rows that may hold the string `name`
    as a value: escaped as SQLite stores it, plain as PostgreSQL prints it."""
    query = Q()
    for needle in {json.dumps(name), json.dumps(name, ensure_ascii=False)}:
        query |= Q(**{f"{field}__contains": needle})
    return query


def topic_events_tombstone(*, topic: str) -> int:
    """Empty every stored event of `topic` (same seqs, `data: {redacted: true}`): a personal
    topic whose owner erased their account."""
    if not connection.in_atomic_block:
        raise RuntimeError("topic_events_tombstone must run inside transaction.atomic")
    count = TopicEvent.objects.filter(topic=topic).update(data={"redacted": True})
    _after_commit_forget()
    return count


@dataclass(frozen=True)
class NamingScan:
    """The stored events that may name someone, found before the erasure's transaction: `ids`,
    among every event up to `high` (the largest id when the scan began)."""

    ids: tuple[int, ...]
    high: int


def topic_events_naming(name: str) -> NamingScan | None:
    """Outside any transaction, on SQLite: which stored events may hold `name` as a value.

    On SQLite a write transaction takes the file's one write lock up front (IMMEDIATE), so a
    search of the whole log inside the erasure's transaction would stop every write of every
    process for as long as it reads the log. Found here first, the transaction then reads only
    these rows and the events appended since (`id > high`): SQLite gives ids in commit order
    (one writer at a time, AUTOINCREMENT), so every event up to `high` was there to be found.
    None elsewhere: PostgreSQL's writers do not wait for a reader, and its ids are not given
    in commit order, so the transaction searches the whole log itself."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return None
    high = TopicEvent.objects.aggregate(high=Max("id"))["high"] or 0
    ids = _events_naming(name).filter(id__lte=high).values_list("id", flat=True)
    return NamingScan(tuple(ids), high)


ANONYMISE_CHUNK = 500


def _events_naming(name: str):
    """The stored events whose JSON text may hold `name` as a value (one search, two callers)."""
    return TopicEvent.objects.annotate(as_text=Cast("data", TextField())).filter(json_text_names(name))


def topic_events_anonymise(*, name: str, replacement: str, scan: NamingScan | None = None) -> int:
    """Replace every string value equal to `name` (a username) in every stored event by `replacement`.

    Found through the stored JSON text (escaped as SQLite stores it, plain as PostgreSQL
    prints it), then replaced value by value, so a body that merely contains the name is kept.
    With a `scan` made before the transaction (`topic_events_naming`), only its events and the
    ones appended after it are read here."""
    if not connection.in_atomic_block:
        raise RuntimeError("topic_events_anonymise must run inside transaction.atomic")
    naming = _events_naming(name)
    if scan is None:
        batches = [naming]
    else:
        ids = list(scan.ids)
        batches = [naming.filter(id__gt=scan.high)]
        batches += [
            TopicEvent.objects.filter(id__in=ids[at : at + ANONYMISE_CHUNK])
            for at in range(0, len(ids), ANONYMISE_CHUNK)
        ]
    count = 0
    for events in batches:
        for event in events.select_for_update():
            data = string_values_replace(event.data, name, replacement)
            if data != event.data:
                event.data = data
                event.save(update_fields=["data"])
                count += 1
    _after_commit_forget()
    return count
