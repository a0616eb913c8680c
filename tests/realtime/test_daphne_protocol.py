"""The protocol class daphne builds for our sockets (realtime.daphne_protocol.lean_protocol): the
factory's options live on the class, not copied onto each socket. Sockets over a real daphne
process are in tests/e2e/test_close_codes.py."""

from __future__ import annotations

import daphne.server  # noqa: F401  (installs Twisted's asyncio reactor first, as in config/server.py)
from daphne.ws_protocol import WebSocketFactory
from django.conf import settings
from twisted.internet.testing import StringTransport

from realtime.daphne_protocol import LiveWebSocketProtocol


def _factory() -> WebSocketFactory:
    factory = WebSocketFactory(object(), server="test")
    factory.setProtocolOptions(autoPingTimeout=7, allowNullOrigin=True, openHandshakeTimeout=11)
    factory.protocol = LiveWebSocketProtocol
    return factory


def _connect(factory: WebSocketFactory) -> LiveWebSocketProtocol:
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    return protocol


def test_the_first_socket_gives_its_factory_a_lean_class_that_the_next_sockets_use():
    factory = _factory()
    first = _connect(factory)
    assert type(first) is LiveWebSocketProtocol
    second = _connect(factory)
    assert type(second) is factory.protocol and type(second) is not LiveWebSocketProtocol
    for socket in (first, second):
        assert (socket.openHandshakeTimeout, socket.autoPingTimeout) == (11, 7)
        assert socket.maxMessagePayloadSize == socket.maxFramePayloadSize == settings.REALTIME_MAX_FRAME_BYTES
    # The first socket got autobahn's per-socket copies; the next ones hold none.
    assert "openHandshakeTimeout" in vars(first)
    options = set(LiveWebSocketProtocol.CONFIG_ATTRS)
    assert not options & set(vars(second)), options & set(vars(second))
    # A function among the options stays a function (not a method bound to the socket).
    assert second.perMessageCompressionAccept(["offer"]) is None


def test_each_factory_keeps_its_own_options():
    one, two = _factory(), _factory()
    two.setProtocolOptions(openHandshakeTimeout=3)
    for factory in (one, two):
        _connect(factory)
    assert (_connect(one).openHandshakeTimeout, _connect(two).openHandshakeTimeout) == (11, 3)
