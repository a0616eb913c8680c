# ruff: noqa: N802, N803  (the method names are Twisted's and autobahn's interfaces)
"""The WebSocket protocol daphne runs for us: bounded outbound bytes, clean refusal of big frames.

daphne hands every `websocket.send` of the application straight to the Twisted transport,
whose write buffer grows without limit while a client does not read, and it gives the
application no view of that buffer (the ASGI `send` returns at once). The only place that
sees both the messages and the transport is the protocol, so this subclass of daphne's
protocol is installed by `config/asgi.py` (the daphne entry point):

- It registers itself as the transport's streaming producer: Twisted calls `pauseProducing`
  when its buffer passes `bufferSize` (64 KiB) and `resumeProducing` once it has drained.
  While paused, outbound frames wait in a per-socket queue counted in bytes; past
  REALTIME_SEND_BUFFER_BYTES the queue is dropped and the socket closed with 4008 (the
  client resumes with `since`). The close frame queues behind what the transport already
  holds; a client that never reads is cut after REALTIME_SLOW_CLIENT_GRACE seconds, so a
  stalled socket holds at most about 64 KiB + the limit, and nothing after its grace. The
  queued frames of a fan-out are one `bytes` object shared by every socket (`frame_bytes`),
  and the kernel's send buffer can be fixed (REALTIME_SOCKET_SEND_BUFFER) instead of autotuned.
- An inbound frame over REALTIME_MAX_FRAME_BYTES is refused on its header, before its payload
  is buffered: `too_large` then close 4009 (autobahn's own 1009 is a code daphne may not send,
  and over 1 MiB it dropped the TCP connection: the client saw 1006).
- When the server shuts down (SIGTERM, SIGINT), every open socket is closed with 4012 before
  the reactor stops, so clients reconnect at once, possibly to another process.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections import deque
from collections.abc import Callable

from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from django.conf import settings
from twisted.internet import defer, reactor, task

from realtime import metrics
from realtime.backpressure import CLOSE_TOO_LARGE, CLOSE_TOO_SLOW, HEADER, outbound_forget, outbound_register
from realtime.frames import PreparedFrames, error_frame
from realtime.lifecycle import CLOSE_RESTARTING

log = logging.getLogger(__name__)

# How long a shutting-down server waits for the 4012 close frames to leave.
SHUTDOWN_FLUSH_SECONDS = 1.0

_open_protocols: set[LiveWebSocketProtocol] = set()


_last_text: str | None = None
_last_payload = b""


def frame_bytes(text: str) -> bytes:
    """The UTF-8 bytes of a frame, shared by every socket the frame goes to.

    The hub hands the same `str` object to each subscriber of a topic, one after the other
    (realtime/fanout/hub.py `_drain`; it yields only between slices of thousands of deliveries,
    costing at most one more copy); encoding it once means the frames that wait in the queues
    of N stalled sockets are one `bytes` object, not N copies (live events that take the
    `send_prepared` path share `prepared.payload` the same way). Holding the
    last text keeps its identity from being reused by another object.
    """
    global _last_text, _last_payload
    if text is not _last_text:
        _last_text, _last_payload = text, text.encode("utf8")
    return _last_payload


class LiveWebSocketProtocol(WebSocketProtocol):
    """daphne's protocol with a byte-bounded outbound queue (see the module docstring)."""

    def _connectionMade(self) -> None:
        if self.CONFIG_ATTRS:  # the factory's first socket: the next ones are built lean
            self.factory.protocol = lean_protocol(self.factory)
            self.maxMessagePayloadSize = self.maxFramePayloadSize = settings.REALTIME_MAX_FRAME_BYTES
        super()._connectionMade()
        self.outbound: deque[bytes] = deque()
        self.outbound_bytes = 0
        self.transport_paused = False

    def onConnect(self, request):
        # The application finds this socket's `Outbound` through a header only we set.
        self.outbound_token = uuid.uuid4().hex
        self.outbound_view = outbound_register(self.outbound_token, self.send_prepared)
        request.headers[HEADER.decode()] = self.outbound_token
        return super().onConnect(request)

    def onOpen(self) -> None:
        super().onOpen()
        # daphne's HTTP channel stays registered as the producer after the upgrade; it only
        # paused reading from this client, which the WebSocket no longer needs.
        if self.transport.producer is not None:
            self.transport.unregisterProducer()
        self.transport.registerProducer(self, True)
        self.socket_send = raw_send(self.transport)
        if settings.REALTIME_SOCKET_SEND_BUFFER:
            self.transport.getHandle().setsockopt(
                socket.SOL_SOCKET, socket.SO_SNDBUF, settings.REALTIME_SOCKET_SEND_BUFFER
            )
        _open_protocols.add(self)

    def onClose(self, wasClean, code, reason) -> None:
        _open_protocols.discard(self)
        if hasattr(self, "outbound_token"):
            outbound_forget(self.outbound_token)
        self.outbound.clear()
        self.outbound_bytes = 0
        super().onClose(wasClean, code, reason)

    # --- IPushProducer: called by the transport -----------------------------------------------

    def pauseProducing(self) -> None:
        self.transport_paused = True
        self.outbound_view.backed_up()

    def resumeProducing(self) -> None:
        self.transport_paused = False
        while self.outbound and not self.transport_paused and self.state == AutobahnProtocol.STATE_OPEN:
            payload = self.outbound.popleft()
            self.outbound_bytes -= len(payload)
            self.sendMessage(payload, False)
        if not self.transport_paused:
            self.outbound_view.caught_up()

    def stopProducing(self) -> None:
        self.outbound.clear()
        self.outbound_bytes = 0

    # --- outbound --------------------------------------------------------------------------

    def serverSend(self, content, binary=False) -> None:
        if self.state == self.STATE_CONNECTING:
            self.serverAccept()
        if self.state != AutobahnProtocol.STATE_OPEN:
            return  # closing: the client resumes with `since`, nothing is owed to this socket
        payload = content if binary else frame_bytes(content)
        if not self.transport_paused and not self.outbound:
            self.sendMessage(payload, binary)
            return
        if binary:
            raise ValueError("only text frames are queued")
        self.queue(payload)

    def queue(self, payload: bytes) -> None:
        self.outbound.append(payload)
        self.outbound_bytes += len(payload)
        if self.outbound_bytes > settings.REALTIME_SEND_BUFFER_BYTES:
            self.close_too_slow()

    def send_prepared(self, prepared) -> None:
        """A fan-out frame framed once for all its sockets (realtime.frames.broadcast_prepare): the
        same bounded queue as `serverSend`, without the ASGI hop and the framing per socket. Several
        frames for this socket at once (`PreparedFrames`) leave in one write when nothing waits
        before them, else one by one through that same path, in their order."""
        if self.state != AutobahnProtocol.STATE_OPEN:
            return
        if not (self.transport_paused or self.outbound or self.send_queue or self._perMessageCompress is not None):
            write_now(self.transport, prepared.payloadHybi, self.socket_send)  # nothing waits before it
        elif isinstance(prepared, PreparedFrames):
            for part in prepared.parts:
                self.send_prepared(part)
        elif self.transport_paused or self.outbound:
            self.queue(prepared.payload)
        else:
            self.sendMessage(prepared.payload, False)  # autobahn's own path keeps its order

    def serverClose(self, code=None) -> None:
        if code == CLOSE_TOO_SLOW:  # the application gave up on this client (a replay that never drains)
            self.close_too_slow()
            return
        super().serverClose(code)

    def close_too_slow(self) -> None:
        log.info("closing a socket that does not read (%d bytes queued)", self.outbound_bytes)
        metrics.SLOW_CONSUMER_CLOSES.inc()
        self.outbound.clear()
        self.outbound_bytes = 0
        self.outbound_view.close()
        # The close frame waits behind what the transport holds; a client that reads again
        # within the grace gets it, one that never does is cut when the grace ends.
        self.closeHandshakeTimeout = settings.REALTIME_SLOW_CLIENT_GRACE
        self.sendClose(code=CLOSE_TOO_SLOW, reason="client too slow; resubscribe with since")

    # --- inbound -------------------------------------------------------------------------------

    def _max_message_size_exceeded(self, msg_size, max_msg_size, reason) -> None:
        # failedByMe makes autobahn discard the rest of the payload as it arrives.
        self.failedByMe = True
        if self.state != AutobahnProtocol.STATE_OPEN:
            return
        self.outbound_view.close()
        limit = settings.REALTIME_MAX_FRAME_BYTES
        self.sendMessage(error_frame(code="too_large", message=f"frames are limited to {limit} bytes").encode())
        self.sendClose(code=CLOSE_TOO_LARGE, reason="frame too large")


def raw_send(transport) -> Callable[[bytes], int] | None:
    """The `send` of the socket under a plain TCP transport (`write_now`'s fast path), or None
    (a TLS transport, a test's: `write_now` then always goes through `transport.write`)."""
    if getattr(transport, "writeSomeData", None) is None:
        return None
    handle = transport.getHandle()
    return handle.send if isinstance(handle, socket.socket) else None


def write_now(transport, data: bytes, send: Callable[[bytes], int] | None) -> None:
    """`transport.write(data)`, sent at once with the socket's own `send` (`raw_send`) when
    nothing waits before it in the transport.

    Twisted's `write` only buffers: it registers the socket for writability (a selector change),
    sends on a later turn of the loop and unregisters it (another). For a fan-out frame to
    thousands of sockets those two changes cost more than the send itself (py-spy, bench.debate:
    `selectors.modify` and its namedtuples about a quarter of a busy process). A frame that
    the kernel takes whole needs neither; what it does not take (a full socket buffer, an error)
    goes through `write` as before, so the order and the producer's pause stay Twisted's. The
    socket's `send` is called directly, not through Twisted's `writeSomeData` (a memoryview, a
    slice and an EINTR loop that Python's `send` already does, three calls per socket of a
    fan-out)."""
    if (
        send is None
        or not transport.connected
        or transport.disconnecting
        or transport._tempDataBuffer
        or len(transport.dataBuffer) > transport.offset
    ):
        transport.write(data)
        return
    try:
        sent = send(data)
    except OSError:  # full (EAGAIN) or broken: the transport finds which on its own turn
        sent = 0
    if sent < len(data):
        transport.write(data[sent:] if sent else data)


def lean_protocol(factory) -> type[LiveWebSocketProtocol]:
    """The protocol class for `factory`'s sockets, with the factory's options on the class.

    autobahn copies some forty options from the factory onto every protocol instance when its
    TCP connection is made (`_connectionMade`), and formats them all with `pformat` for a debug
    line that is then dropped: a few KiB per idle socket and ~10 % of a process's CPU during a
    reconnect storm (py-spy, bench S8). An option that is already a class attribute is not
    copied, and with `CONFIG_ATTRS` empty there is nothing to format. daphne sets its options
    once (`setProtocolOptions` right after it builds the factory), before the first connection."""
    options = {name: getattr(factory, name) for name in LiveWebSocketProtocol.CONFIG_ATTRS}
    options["maxMessagePayloadSize"] = options["maxFramePayloadSize"] = settings.REALTIME_MAX_FRAME_BYTES
    # A function stored on a class would become a method: the callables (perMessageCompressionAccept)
    # stay plain functions.
    options = {name: staticmethod(value) if callable(value) else value for name, value in options.items()}
    return type("LeanLiveWebSocketProtocol", (LiveWebSocketProtocol,), {**options, "CONFIG_ATTRS": ()})


def close_all_restarting() -> defer.Deferred:
    """Before the reactor stops: tell every client still connected to reconnect (4012).

    The fallback of the one shutdown path. Under the launcher (`python -m config.server`, what
    `make run`, compose and systemd start) SIGTERM first drains (realtime.lifecycle): every
    socket is closed with 4012 after its command in flight answered, so this finds none left.
    Under a plain `daphne`, or on SIGINT, this is the only close the clients get."""
    for protocol in list(_open_protocols):
        if protocol.state == AutobahnProtocol.STATE_OPEN:
            protocol.outbound.clear()
            protocol.outbound_view.close()
            protocol.sendClose(code=CLOSE_RESTARTING, reason="server restarting")
    if not _open_protocols:
        return defer.succeed(None)
    return task.deferLater(reactor, SHUTDOWN_FLUSH_SECONDS, lambda: None)


def install() -> None:
    """Make daphne build our protocol; called once by the daphne entry point (config/asgi.py)."""
    if WebSocketFactory.protocol is LiveWebSocketProtocol:
        return
    WebSocketFactory.protocol = LiveWebSocketProtocol
    reactor.addSystemEventTrigger("before", "shutdown", close_all_restarting)
