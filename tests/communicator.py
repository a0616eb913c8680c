"""channels' WebsocketCommunicator with a handshake bound sized for a loaded machine.

Its default gives the handshake one second: on PostgreSQL with two xdist workers on two busy
cores a handshake (a token lookup in a thread) took longer, and the test failed with a
TimeoutError in `connect()` (the `make test-fast` failure of issue 10). A bound, not a wait: the
call returns as soon as the application answers. `disconnect()` keeps channels' one second.
"""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

HANDSHAKE_TIMEOUT = 15.0


class Communicator(WebsocketCommunicator):
    async def connect(self, timeout: float = HANDSHAKE_TIMEOUT):
        return await super().connect(timeout)
