"""What the application can see of its socket's outbound side (filled in by realtime/daphne_protocol.py).

daphne gives an ASGI application no view of the transport. The protocol subclass registers
one `Outbound` per connection under a token it puts in the handshake's headers (replacing
any header of that name the client sent); the consumer finds it with `outbound_for(scope)`.
Under another server, or the in-memory test communicator, there is none and nothing waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

HEADER = b"x-cl-outbound"
# The close codes of the outbound side (PROTOCOL.md §1), sent by the protocol and the consumer alike.
CLOSE_TOO_SLOW = 4008
CLOSE_TOO_LARGE = 4009

_registry: dict[str, Outbound] = {}


class Outbound:
    """Set by the protocol (same event loop: daphne runs Twisted on asyncio), awaited by the consumer."""

    def __init__(self, send_prepared: Callable[[object], None] | None = None) -> None:
        # Created only while the transport is backed up: most sockets never are, and an idle one
        # then holds no Event (issue 17: memory per idle socket).
        self._drained: asyncio.Event | None = None
        self.closed = False
        # The protocol's `send_prepared(PreparedMessage)`: the hub's fan-out writes one event
        # framed once (realtime.frames.broadcast_prepare) to each socket, past the ASGI layers.
        self.send_prepared = send_prepared

    def backed_up(self) -> None:
        if self._drained is None and not self.closed:
            self._drained = asyncio.Event()

    def caught_up(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None:
            drained.set()

    def close(self) -> None:
        self.closed = True
        self.caught_up()

    async def drained(self) -> None:
        """Return once the client has taken what was sent (or the socket is closing)."""
        drained = self._drained
        if drained is not None:
            await drained.wait()


def outbound_register(token: str, send_prepared: Callable[[object], None] | None = None) -> Outbound:
    outbound = _registry[token] = Outbound(send_prepared)
    return outbound


def outbound_forget(token: str) -> None:
    outbound = _registry.pop(token, None)
    if outbound is not None:
        outbound.close()


def outbound_for(scope) -> Outbound | None:
    for name, value in scope.get("headers", []):
        if name == HEADER:
            return _registry.get(value.decode("latin-1"))
    return None
