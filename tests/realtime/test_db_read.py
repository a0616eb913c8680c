"""`db_read`: a snapshot read does not queue behind the process's writes (on SQLite its own
thread and connection, which WAL lets read while the writer's transaction is open)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from realtime.db import db_call, db_read
from realtime.models import Topic

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_read_answers_while_the_write_thread_holds_a_transaction_open():
    from django.db import transaction

    holding, release = threading.Event(), threading.Event()

    def write_and_hold() -> None:
        with transaction.atomic():
            Topic.objects.create(name="room:900", head=0)
            holding.set()
            assert release.wait(30)

    def committed_topics() -> list[str]:
        return list(Topic.objects.order_by("name").values_list("name", flat=True))

    writer = asyncio.ensure_future(db_call(write_and_hold))
    try:
        assert await asyncio.to_thread(holding.wait, 30)
        # Behind the held transaction on the one database thread this would wait for `release`.
        seen = await asyncio.wait_for(db_read(committed_topics), 10)
        assert "room:900" not in seen  # the open transaction's row is not visible yet
    finally:
        release.set()
        await writer
    assert "room:900" in await db_read(committed_topics)
