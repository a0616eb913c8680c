"""Who is online in a topic: counted per process, merged across processes through a Redis hash.

Joins and leaves only mark the topic dirty; the list is built, announced and sent at most once
per REALTIME_STATE_INTERVAL, so a crowd arriving costs O(n), not O(n^2).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from django.conf import settings

from realtime.fanout.items import Inbound, PresenceFlushDue, PresenceRefreshDue
from realtime.fanout.redis_link import RedisLink
from realtime.fanout.snapshots import Snapshots
from realtime.fanout.topic_table import ServedTopic, Subscription, TopicTable
from realtime.fanout.wire import (
    PROCESS_ID,
    presence_key,
    presence_payload,
    presence_share_decode,
    presence_share_encode,
    presence_version_key,
    redis_channel,
)
from realtime.frames import dumps

log = logging.getLogger(__name__)

PRESENCE_HEARTBEAT_SECONDS = 10.0
PRESENCE_STALE_SECONDS = 35.0
# A presence frame names at most this many people (alphabetically); `count` is always exact.
PRESENCE_LIST_MAX = 100
PRESENCE_CROWD = 250


class Presence:
    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        table: TopicTable,
        link: RedisLink,
        snapshots: Snapshots,
        submit: Callable[[Inbound], None],
    ) -> None:
        self.loop = loop
        self._table = table
        self._link = link
        self._snapshots = snapshots
        self._submit = submit
        # Versions of frames built here without Redis (or when Redis failed).
        self._local_version = 0

    # --- local joins and leaves ------------------------------------------------------------

    def join(self, sub: Subscription) -> None:
        served = self._table.get(sub.topic)
        if served is not None and sub.username:
            sub.in_presence = True
            served.presence[sub.username] += 1
            if served.presence[sub.username] == 1:
                self._changed(served)

    def leave(self, served: ServedTopic, username: str) -> None:
        served.presence[username] -= 1
        if served.presence[username] <= 0:
            del served.presence[username]
            self._changed(served)

    def _changed(self, served: ServedTopic) -> None:
        if served.presence_dirty:
            return
        served.presence_dirty = True
        # A crowd needs no instant roll call: the interval grows with the room (5,000 people: 5 s).
        interval = settings.REALTIME_STATE_INTERVAL * max(1.0, len(served.subscribers) / PRESENCE_CROWD)
        delay = max(0.0, served.presence_at + interval - time.monotonic())
        self.loop.call_later(delay, self._submit, PresenceFlushDue(served.topic))

    async def flush(self, topic: str) -> None:
        """Announce (or, without Redis, send) this process's users of `topic`; also once it emptied here."""
        served = self._table.get(topic)
        if served is not None:
            served.presence_dirty = False
            served.presence_at = time.monotonic()
        users = list(served.presence) if served is not None else []
        if self._link.client is not None:
            await self.announce(topic, users)
        elif served is not None:
            self._emit_local(served)

    def _emit_local(self, served: ServedTopic) -> None:
        self._local_version += 1
        self._emit(served, set(served.presence), self._local_version)

    def _emit(self, served: ServedTopic, users: set[str], version: int) -> None:
        names = sorted(users)
        data = {
            "users": names[:PRESENCE_LIST_MAX],
            "count": len(names),
            "truncated": len(names) > PRESENCE_LIST_MAX,
            "version": version,
        }
        text = dumps({"type": "state", "topic": served.topic, "kind": "presence", "data": data})
        self._snapshots.receive(served, "presence", version, text)

    # --- across processes ------------------------------------------------------------------

    async def announce(self, topic: str, users: list[str], *, tell: bool = True) -> None:
        """Write this process's share of the topic's presence to Redis and (if `tell`) tell every process."""
        key = presence_key(topic)
        try:
            async with self._link.client.pipeline(transaction=True) as pipe:
                if users:
                    pipe.hset(key, PROCESS_ID, presence_share_encode(users, time.time()))
                else:
                    pipe.hdel(key, PROCESS_ID)
                pipe.expire(key, int(PRESENCE_STALE_SECONDS * 2))
                pipe.incr(presence_version_key(topic))
                results = await pipe.execute()
            if tell:
                await self._link.client.publish(redis_channel(topic), presence_payload(results[-1]))
        except Exception as exc:
            log.warning("presence announce failed for %s (%s)", topic, exc.__class__.__name__)
            served = self._table.get(topic)
            if served is not None:
                self._emit_local(served)

    async def announce_all(self) -> None:
        """After a reconnect: this process's shares may have expired meanwhile."""
        for served in self._table.served():
            if served.presence:
                await self.announce(served.topic, list(served.presence))

    def remote_changed(self, served: ServedTopic, version: int) -> None:
        """Another process (or this one) announced a change: re-read the shares, coalesced."""
        served.presence_remote_version = max(served.presence_remote_version, version)
        if served.presence_refresh_pending:
            return
        served.presence_refresh_pending = True
        delay = max(0.0, served.presence_refreshed_at + settings.REALTIME_STATE_INTERVAL - time.monotonic())
        self.loop.call_later(delay, self._submit, PresenceRefreshDue(served.topic))

    async def refresh(self, served: ServedTopic) -> None:
        served.presence_refresh_pending = False
        served.presence_refreshed_at = time.monotonic()
        version = served.presence_remote_version
        if self._link.client is None:
            return
        try:
            shares = await self._link.client.hgetall(presence_key(served.topic))
        except Exception as exc:
            # The next announcement or heartbeat triggers another refresh.
            log.warning("presence refresh failed for %s (%s)", served.topic, exc.__class__.__name__)
            return
        users: set[str] = set(served.presence)
        now = time.time()
        for owner, raw in shares.items():
            share_users, at = presence_share_decode(raw)
            if owner.decode() != PROCESS_ID and now - at < PRESENCE_STALE_SECONDS:
                users.update(share_users)
        self._emit(served, users, version)

    async def heartbeat(self) -> None:
        """Refresh this process's shares so others keep counting them; drop a dead process's."""
        while True:
            await asyncio.sleep(PRESENCE_HEARTBEAT_SECONDS)
            if not self._link.ready.is_set() or self._link.client is None:
                continue
            for served in self._table.served():
                if served.presence:
                    await self.announce(served.topic, list(served.presence), tell=False)
                try:
                    await self._drop_stale(served.topic)
                except Exception as exc:
                    log.warning("presence sweep failed for %s (%s)", served.topic, exc.__class__.__name__)

    async def _drop_stale(self, topic: str) -> None:
        key = presence_key(topic)
        now = time.time()
        shares = await self._link.client.hgetall(key)
        stale = [
            owner for owner, raw in shares.items() if now - presence_share_decode(raw)[1] >= PRESENCE_STALE_SECONDS
        ]
        if stale:
            await self._link.client.hdel(key, *stale)
            version = await self._link.client.incr(presence_version_key(topic))
            await self._link.client.publish(redis_channel(topic), presence_payload(version))
