"""The life of one server process: its open sockets, whether it is draining, and the drain itself.

On SIGTERM (config/server.py) the process stops listening, then `process_drain` tells every
client to reconnect elsewhere (close 4012, PROTOCOL.md §1), spread over a few seconds so the
clients don't all land on the other processes at once. A socket busy with a command is closed
only once that command has answered: the write is committed and its `ok` sent, so the client
has nothing to resend; a write that arrives after the socket was picked is not started (the
client resends it with the same `ref` elsewhere, and idempotency makes that safe).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from django.conf import settings

from realtime import metrics

log = logging.getLogger(__name__)

CLOSE_RESTARTING = 4012
# Each socket waits this long at most for its command in flight before being closed anyway.
COMMAND_GRACE_SECONDS = 10.0
# Between two closes, at most: a handful of sockets are closed almost at once, a crowd over DRAIN_SPREAD_SECONDS.
CLOSE_STEP_SECONDS = 0.02


class Drainable(Protocol):
    """What the drain needs from a socket (the consumer implements it)."""

    closing: bool
    idle: asyncio.Event

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None: ...


_sockets: set[Drainable] = set()
_draining = False


def socket_opened(socket: Drainable) -> None:
    _sockets.add(socket)


def socket_closed(socket: Drainable) -> None:
    _sockets.discard(socket)


def sockets_open() -> int:
    return len(_sockets)


def is_draining() -> bool:
    return _draining


async def process_drain() -> int:
    """Close every open socket with 4012, spread over settings.DRAIN_SPREAD_SECONDS; returns how many."""
    global _draining
    _draining = True
    sockets = list(_sockets)
    if not sockets:
        return 0
    step = min(CLOSE_STEP_SECONDS, settings.DRAIN_SPREAD_SECONDS / len(sockets))
    log.info("draining: closing %s sockets over %.1fs", len(sockets), step * len(sockets))
    await asyncio.gather(*(_close_when_idle(socket, index * step) for index, socket in enumerate(sockets)))
    return len(sockets)


async def _close_when_idle(socket: Drainable, delay: float) -> None:
    await asyncio.sleep(delay)
    socket.closing = True  # no new command starts on it from now on
    try:
        await asyncio.wait_for(socket.idle.wait(), COMMAND_GRACE_SECONDS)
    except TimeoutError:
        log.warning("draining: a command did not finish in %ss; closing its socket anyway", COMMAND_GRACE_SECONDS)
    try:
        await socket.close(code=CLOSE_RESTARTING)
        metrics.RESTART_CLOSES.inc()
    except Exception:
        log.debug("draining: socket already gone")
