"""An erased name leaves every stored event, and on SQLite the search of the whole log happens
before the erasure's transaction, which holds every writer back (realtime.redaction)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from realtime.models import TopicEvent
from realtime.redaction import topic_events_anonymise, topic_events_naming

# Made-up events: what is stored, not what a kind carries (they skip the schema check).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.synthetic_events]


def event(seq: int, data: dict) -> TopicEvent:
    return TopicEvent.objects.create(topic="room:1", seq=seq, kind="message.posted", data=data, at=timezone.now())


def test_the_events_found_before_the_transaction_and_the_ones_appended_since_are_anonymised():
    named = event(1, {"author": "alice", "body": "bonjour"})
    in_a_body = event(2, {"author": "bob", "body": "alice est là"})
    nested = event(3, {"by": "carol", "read": {"users": ["bob", "alice"]}})
    scan = topic_events_naming("alice")
    if connection.vendor != "sqlite":
        assert scan is None  # PostgreSQL searches inside the transaction: its ids are not in commit order
        return
    assert set(scan.ids) == {named.id, nested.id}
    appended = event(4, {"author": "alice", "body": "encore moi"})  # between the search and the erasure
    assert appended.id > scan.high

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        count = topic_events_anonymise(name="alice", replacement="deleted", scan=scan)

    assert count == 3
    stored = {row.seq: row.data for row in TopicEvent.objects.all()}
    assert stored[1] == {"author": "deleted", "body": "bonjour"}
    assert stored[2] == {"author": "bob", "body": "alice est là"}  # a body that contains the name is kept
    assert stored[3] == {"by": "carol", "read": {"users": ["bob", "alice"]}} | {"read": {"users": ["bob", "deleted"]}}
    assert stored[4]["author"] == "deleted" and in_a_body.id not in scan.ids
    # Under the write lock, only the events found and those after the search are read.
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "topicevent" in q["sql"]]
    assert reads and all('"id" >' in sql or '"id" IN (' in sql for sql in reads), reads


def test_erasing_an_account_searches_the_log_before_taking_the_write_lock(make_user, monkeypatch):
    alice = make_user("alice")
    event(1, {"author": "alice", "body": "bonjour"})
    searched_in_a_transaction = []

    def naming(name):
        searched_in_a_transaction.append(connection.in_atomic_block)
        return topic_events_naming(name)

    monkeypatch.setattr(account_services, "topic_events_naming", naming)
    account_services.user_erase(user=alice, password="!")

    assert searched_in_a_transaction == [False]
    assert TopicEvent.objects.get(seq=1).data["author"] != "alice"
