"""Hub responsibility: who is online in a room, merged across processes through a Redis hash."""

from __future__ import annotations

import logging
import time

from django.conf import settings

from realtime.fanout.channels import (
    PRESENCE_CROWD,
    PRESENCE_LIST_MAX,
    PRESENCE_STALE_SECONDS,
    PROCESS_ID,
    TopicChannel,
    presence_payload,
    redis_channel,
    redis_prefix,
)
from realtime.frames import dumps, loads

log = logging.getLogger(__name__)


class Presence:
    # Joins and leaves only mark the room dirty; the list is built, announced and sent at most
    # once per REALTIME_STATE_INTERVAL, so a crowd arriving costs O(n), not O(n^2).

    def _presence_changed(self, channel: TopicChannel) -> None:
        if channel.presence_dirty:
            return
        channel.presence_dirty = True
        # A crowd needs no instant roll call: the interval grows with the room (5,000 people: 5 s).
        interval = settings.REALTIME_STATE_INTERVAL * max(1.0, len(channel.subscribers) / PRESENCE_CROWD)
        delay = max(0.0, channel.presence_at + interval - time.monotonic())
        self.loop.call_later(delay, self.submit, ("presence_flush", channel.topic))

    async def _presence_flush(self, topic: str) -> None:
        channel = self.channels.get(topic)
        if channel is not None:
            channel.presence_dirty = False
            channel.presence_at = time.monotonic()
        users = list(channel.presence) if channel is not None else []
        if self.redis is not None:
            await self._presence_announce(topic, users)
        elif channel is not None:
            self._presence_version += 1
            self._presence_emit(channel, set(users), self._presence_version)

    def _presence_emit(self, channel: TopicChannel, users: set[str], version: int) -> None:
        names = sorted(users)
        data = {
            "users": names[:PRESENCE_LIST_MAX],
            "count": len(names),
            "truncated": len(names) > PRESENCE_LIST_MAX,
            "version": version,
        }
        text = dumps({"type": "state", "topic": channel.topic, "kind": "presence", "data": data})
        self._state_receive(channel, "presence", version, text)

    async def _presence_announce(self, topic: str, users: list[str], *, tell: bool = True) -> None:
        """Write this process's share of the room's presence to Redis and (if `tell`) tell every process."""
        key = f"{redis_prefix()}:presence:{topic}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                if users:
                    pipe.hset(key, PROCESS_ID, dumps({"users": users, "at": time.time()}))
                else:
                    pipe.hdel(key, PROCESS_ID)
                pipe.expire(key, int(PRESENCE_STALE_SECONDS * 2))
                pipe.incr(f"{key}:version")
                results = await pipe.execute()
            if tell:
                await self.redis.publish(redis_channel(topic), presence_payload(results[-1]))
        except Exception:
            log.warning("presence announce failed for %s", topic)
            channel = self.channels.get(topic)
            if channel is not None:
                self._presence_version += 1
                self._presence_emit(channel, set(channel.presence), self._presence_version)

    def _presence_remote_changed(self, channel: TopicChannel, version: int) -> None:
        """Another process (or this one) announced a change: re-read the shares, coalesced."""
        channel.presence_remote_version = max(channel.presence_remote_version, version)
        if channel.presence_refresh_pending:
            return
        channel.presence_refresh_pending = True
        delay = max(0.0, channel.presence_refreshed_at + settings.REALTIME_STATE_INTERVAL - time.monotonic())
        self.loop.call_later(delay, self.submit, ("presence_refresh", channel.topic))

    async def _presence_refresh(self, channel: TopicChannel) -> None:
        channel.presence_refresh_pending = False
        channel.presence_refreshed_at = time.monotonic()
        version = channel.presence_remote_version
        try:
            shares = await self.redis.hgetall(f"{redis_prefix()}:presence:{channel.topic}")
        except Exception:
            return
        users: set[str] = set(channel.presence)
        now = time.time()
        for owner, raw in shares.items():
            share = loads(raw)
            if owner.decode() != PROCESS_ID and now - share["at"] < PRESENCE_STALE_SECONDS:
                users.update(share["users"])
        self._presence_emit(channel, users, version)
