"""Hub responsibility: `state` snapshots — computed coalesced where written, forwarded coalesced where read."""

from __future__ import annotations

import logging
import time

from django.conf import settings

from realtime.db import db_call
from realtime.fanout.channels import StateSlot, Subscription, TopicChannel, redis_channel, state_payload

log = logging.getLogger(__name__)


class Snapshots:
    def _state_schedule(self, topic: str) -> None:
        """Publisher side: recompute `topic`'s snapshot, at most once per interval."""
        if topic in self._state_scheduled:
            return
        self._state_scheduled.add(topic)
        delay = max(0.0, self._state_next_compute.get(topic, 0.0) - time.monotonic())
        self.loop.call_later(delay, lambda: self.loop.create_task(self._state_compute_and_publish(topic)))

    async def _state_compute_and_publish(self, topic: str) -> None:
        from realtime.state import topic_state_compute

        self._state_scheduled.discard(topic)
        self._state_next_compute[topic] = time.monotonic() + settings.REALTIME_STATE_INTERVAL
        if len(self._state_next_compute) > 10_000:
            self._state_next_compute.clear()
        try:
            computed = await db_call(topic_state_compute, topic)
        except Exception:
            log.exception("computing state of %s", topic)
            return
        if computed is None:
            return
        kind, version, text = computed
        self.submit(("S", topic, kind, version, text))
        if self.redis is not None:
            try:
                await self.redis.publish(redis_channel(topic), state_payload(kind, version, text))
            except Exception:
                log.warning("Redis publish failed for state of %s", topic)

    def _state_receive(self, channel: TopicChannel, kind: str, version: int, text: str) -> None:
        slot = channel.states.setdefault(kind, StateSlot())
        if version <= slot.version:
            return
        slot.version, slot.text = version, text
        if slot.flush_pending:
            return
        slot.flush_pending = True
        delay = max(0.0, slot.sent_at + settings.REALTIME_STATE_INTERVAL - time.monotonic())
        if delay == 0.0:
            self.submit(("flush_state", channel.topic, kind))
        else:
            self.loop.call_later(delay, self.submit, ("flush_state", channel.topic, kind))

    async def _state_flush(self, channel: TopicChannel, kind: str) -> None:
        slot = channel.states.get(kind)
        if slot is None or slot.text is None:
            return
        slot.flush_pending = False
        slot.sent_at = time.monotonic()
        for sub in list(channel.subscribers):
            await sub.deliver_state(kind, slot.version, slot.text)

    async def state_for_new_subscriber(self, channel: TopicChannel, sub: Subscription) -> None:
        """Send a new subscriber the topic's current state: cached, or read from the database."""
        from realtime.state import topic_state_compute

        if not channel.states or all(slot.text is None for slot in channel.states.values()):
            computed = await db_call(topic_state_compute, channel.topic)
            if computed is not None:
                kind, version, text = computed
                slot = channel.states.setdefault(kind, StateSlot())
                if version > slot.version:
                    slot.version, slot.text = version, text
        for kind, slot in list(channel.states.items()):
            if slot.text is not None:
                await sub.deliver_state(kind, slot.version, slot.text)
