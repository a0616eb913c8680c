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


def _tcp_pair():
    """A Twisted TCP transport over one end of a real socket pair, and the other end to read."""
    import socket

    from twisted.internet import reactor, tcp

    ours, peer = socket.socketpair()
    ours.setblocking(False)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    transport = tcp.Connection(ours, StringTransport(), reactor)
    transport.connected = True
    return transport, peer


def _read_all(peer, transport, expected: int) -> bytes:
    """Read what the peer was sent, letting the transport write what it buffered meanwhile."""
    peer.setblocking(False)
    got = bytearray()
    for _ in range(100_000):  # bounded: a fault fails the comparison, it does not hang
        if len(got) >= expected:
            break
        transport.doWrite()  # what Twisted's reactor does once the socket is writable
        try:
            got += peer.recv(65536)
        except BlockingIOError:
            pass
    return bytes(got)


def test_a_frame_the_kernel_takes_is_sent_at_once_and_a_backlog_keeps_its_order():
    from realtime.daphne_protocol import raw_send, write_now

    transport, peer = _tcp_pair()
    send = raw_send(transport)
    assert send is not None
    try:
        write_now(transport, b"first", send)
        # Sent without a turn of the reactor: nothing buffered, nothing registered for writing.
        assert (transport.dataBuffer, transport._tempDataBuffer) == (b"", [])
        assert peer.recv(100) == b"first"

        # The peer stops reading: what the kernel does not take waits in the transport, and every
        # later frame goes behind it, never around it.
        # The peer reads a little between frames, so the kernel has room again while the
        # transport still holds the rest of the frame before.
        frames = [bytes([65 + i]) * 50_000 for i in range(4)]
        got = bytearray()
        for frame in frames:
            write_now(transport, frame, send)
            assert transport._tempDataBuffer or len(transport.dataBuffer) > transport.offset
            got += peer.recv(2048)
        got += _read_all(peer, transport, sum(map(len, frames)) - len(got))
        assert bytes(got) == b"".join(frames)
    finally:
        transport.socket.close()
        peer.close()
