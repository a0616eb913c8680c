"""Backup while the service runs, restore as docs/DEPLOY.md says, and replay: seqs intact, history continues."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from tests.live import LiveSocket, LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


def restore(stack: LiveStack, backup: str) -> dict:
    """The documented restore: SQLite, copy the file back; PostgreSQL, pg_restore into an empty database."""
    if stack.pg_database is None:
        restored = os.path.join(stack.tmp, "restored.sqlite3")
        shutil.copyfile(backup, restored)
        return {"SQLITE_PATH": restored}
    name = f"cl_restore_{uuid.uuid4().hex[:10]}"
    LiveStack._pg_admin(f'CREATE DATABASE "{name}"')
    url = stack.env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={url}", backup], check=True)
    return {"DATABASE_URL": url, "_restored_database": name}


async def test_backup_restore_replays_topics_with_their_seqs(live_stack):
    stack = live_stack(processes=1)
    ((_, token),) = stack.create_users(1)
    with stack.http(0, token) as http:
        room = http.post("/api/rooms", json={"name": "Archives"}).json()
        for n in range(1, 6):
            posted = http.post(f"/api/rooms/{room['id']}/messages", json={"body": f"avant {n}", "ref": f"r{n}"})
            assert posted.status_code in (200, 201), posted.text
    backup = os.path.join(stack.tmp, "backup.dump")
    assert "backup written" in stack.manage("db_backup", backup)  # while the server runs
    with stack.http(0, token) as http:
        http.post(f"/api/rooms/{room['id']}/messages", json={"body": "après la sauvegarde", "ref": "r6"})

    env = restore(stack, backup)
    restored_database = env.pop("_restored_database", None)
    restored = live_stack(processes=1, env=env)
    try:
        async with await LiveSocket.open(restored.ws_url(0), token) as ws:
            subscribed = await ws.subscribe(room["topic"], since=0)
            assert subscribed["seq"] == 5 and "reset" not in subscribed
            await ws.wait_seq(room["topic"], 5)
            assert ws.seqs(room["topic"]) == [1, 2, 3, 4, 5]
            assert [e["data"]["body"] for e in ws.events(room["topic"])] == [f"avant {n}" for n in range(1, 6)]
            # The same ref as before the backup is still known (receipts restored): not applied twice.
            again = await ws.request({"type": "post", "topic": room["topic"], "body": "avant 1", "ref": "r1"})
            reply = await ws.request({"type": "post", "topic": room["topic"], "body": "après restauration"})
            assert again["type"] == "ok" and again["data"]["seq"] == 1
            assert reply["type"] == "ok" and reply["data"]["seq"] == 6  # the topic's sequence goes on
    finally:
        restored.close()
        if restored_database:
            LiveStack._pg_admin(f'DROP DATABASE IF EXISTS "{restored_database}" WITH (FORCE)')
