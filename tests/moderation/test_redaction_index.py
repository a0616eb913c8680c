"""Hiding a reported proposal finds its events by index (its topic, or `TopicEvent.about` set at
append time), not by scanning the event table: the queries stay the same whatever the table
holds, and the database plans them on the index."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from notifications.models import Notification
from proposals.models import Proposal
from proposals.services.reported import proposal_events_redact
from realtime.models import TopicEvent
from realtime.registry import event_about
from tests.proposals.conftest import commune, proposal_make  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

TITLE = "Un titre à retirer partout"


def test_events_about_a_proposal_elsewhere_are_marked_at_append_time(make_user, commune):  # noqa: F811
    created = proposal_make(author=make_user("author"), commune="97411", title=TITLE, body="Texte")
    topic = f"proposal:{created['id']}"
    news = TopicEvent.objects.get(kind="commune.proposal_created")
    assert (news.topic, news.about) == ("commune:97411", topic)
    assert TopicEvent.objects.filter(topic=topic).exclude(about=None).count() == 0  # its own: by topic
    assert event_about("user:3", "notification.created", {"id": 1, "data": {"url": f"/#/{topic[:8]}/7"}}) == (
        "proposal:7"
    )
    assert event_about("room:2", "action.created", {"id": 4, "proposal": 9, "title": "x"}) == "proposal:9"
    assert event_about("room:2", "message.posted", {"id": 4, "body": "proposal:9"}) is None


def _redact_queries(proposal: Proposal) -> list[str]:
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        proposal_events_redact(proposal)
    return [q["sql"] for q in captured.captured_queries if "realtime_topicevent" in q["sql"]]


def test_the_redaction_query_count_does_not_grow_with_the_table(make_user, commune):  # noqa: F811
    created = proposal_make(author=make_user("author"), commune="97411", title=TITLE, body="Texte")
    proposal = Proposal.objects.get(id=created["id"])
    few = _redact_queries(proposal)
    TopicEvent.objects.bulk_create(  # 3,000 unrelated events carrying the very same text
        TopicEvent(topic=f"room:{i % 7 + 1}", seq=i + 1, kind="message.posted", data={"id": i, "body": TITLE}, at=now())
        for i in range(3000)
    )
    many = _redact_queries(proposal)
    selects = [sql for sql in many if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len([sql for sql in few if sql.lstrip().upper().startswith("SELECT")]) == 2, many
    assert len(many) == 2  # the first pass blanked the news; nothing left to write, whatever the table holds
    for sql in selects:  # each narrowed by an indexed column, none casting the JSON to text
        assert ('"topic" =' in sql or '"about" =' in sql) and "CAST" not in sql.upper(), sql
    assert TITLE in str(TopicEvent.objects.filter(topic="room:1").first().data)  # not about it: untouched


def test_the_database_plans_the_about_lookup_on_its_index(make_user, commune):  # noqa: F811
    proposal_make(author=make_user("author"), commune="97411", title=TITLE, body="Texte")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # a tiny table: make the planner show its index
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = TopicEvent.objects.filter(about="proposal:1").explain()
        notices = Notification.objects.filter(subject="proposal:1").explain()
    assert "topic_event_about" in plan, plan
    assert "notification_subject" in notices, notices  # its notices too (notifications_about_redact)
