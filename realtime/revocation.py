"""Closing the sockets of revoked credentials (close code 4003), on every process.

Each socket registers the credentials it was opened with (`token:<id>`, `session:<hash>`,
`user:<id>`). One task per process reads, every REALTIME_REVOCATION_INTERVAL, the revocation
notices written since its last read (one indexed query per process, none per socket: the
source is settings.REALTIME_REVOCATION_SOURCE) and closes the matching local sockets. The
database, not Redis, carries the notices: they must reach processes that were disconnected
from Redis at the time, and a missed pub/sub message would leave a revoked socket open.
Reads overlap by a few seconds and skip notices already seen, since ids are not committed in order.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from realtime.db import db_call

log = logging.getLogger(__name__)

CLOSE_REVOKED = 4003
OVERLAP = timedelta(seconds=10)


def session_credential(session_key: str) -> str:
    return "session:" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def socket_credentials(scope, user) -> list[str]:
    """What this socket was opened with: its token, else its browser session; and its user."""
    if user is None or not user.is_authenticated:
        return []
    credentials = [f"user:{user.pk}"]
    if scope.get("bearer_token_id") is not None:
        credentials.append(f"token:{scope['bearer_token_id']}")
    else:
        session = scope.get("session")
        if session is not None and session.session_key:
            credentials.append(session_credential(session.session_key))
    return credentials


@cache
def _source():
    return import_string(settings.REALTIME_REVOCATION_SOURCE)


class RevocationWatch:
    def __init__(self) -> None:
        self.sockets: dict[str, set] = defaultdict(set)
        self.seen: dict[int, object] = {}
        self.since = timezone.now()
        self.loop = asyncio.get_running_loop()
        self.task = self.loop.create_task(self._run(), name="revocation-watch")

    def register(self, socket, credentials: list[str]) -> None:
        for credential in credentials:
            self.sockets[credential].add(socket)

    def unregister(self, socket, credentials: list[str]) -> None:
        for credential in credentials:
            sockets = self.sockets.get(credential)
            if sockets is not None:
                sockets.discard(socket)
                if not sockets:
                    del self.sockets[credential]

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(settings.REALTIME_REVOCATION_INTERVAL)
            try:
                await self.check()
            except Exception:
                log.exception("reading credential revocations failed; retrying")

    async def check(self) -> None:
        now = timezone.now()
        rows = await db_call(_source(), self.since - OVERLAP)
        self.since = now
        self.seen = {i: at for i, at in self.seen.items() if at > now - 2 * OVERLAP}
        for notice_id, credential in rows:
            if notice_id in self.seen:
                continue
            self.seen[notice_id] = now
            for socket in list(self.sockets.get(credential, ())):
                await socket.close_revoked()


_watch: RevocationWatch | None = None


def revocation_watch() -> RevocationWatch:
    """The process's watch, started on first use in the running event loop."""
    global _watch
    if _watch is None or _watch.loop is not asyncio.get_running_loop() or _watch.task.done():
        _watch = RevocationWatch()
    return _watch
