"""channels' WebsocketCommunicator with bounds sized for a loaded machine.

Its defaults give the handshake, and the application's end after a disconnect, one second: on
PostgreSQL with two xdist workers on two busy cores a handshake (a token lookup in a thread) took
longer, and the test failed with a TimeoutError in `connect()` (the `make test-fast` failure of
issue 10). These are bounds, not waits: each call returns as soon as the application answers.
"""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

HANDSHAKE_TIMEOUT = 15.0


class Communicator(WebsocketCommunicator):
    async def connect(self, timeout: float = HANDSHAKE_TIMEOUT):
        return await super().connect(timeout)

    async def disconnect(self, code: int = 1000, timeout: float = HANDSHAKE_TIMEOUT) -> None:
        await super().disconnect(code, timeout)
