"""A minimal, fast WebSocket client on raw asyncio (RFC 6455, client side only).

Why not the ``websockets`` library: the load client shares the machine's two cores with
the servers it measures, so every microsecond it spends per received frame is taken from
the server. This client does the handshake, masks what it sends, and parses incoming
frames in ``data_received`` with no per-frame task, future or coroutine: a delivery costs
one header parse and one callback. It supports what the bench needs: text frames,
ping -> pong, close; no extensions, no compression, no fragmentation on send.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Reads from the kernel and messages in them, over every socket of this process since it began:
# how many frames a server wrote to a socket together (a state tick) shows as messages per read.
COUNTS = {"reads": 0, "messages": 0}


class HandshakeError(Exception):
    pass


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if not n:
        return payload
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


def encode_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked, final client frame."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return header + key + _mask(payload, key)


class WSClientProtocol(asyncio.Protocol):
    """One client socket. ``on_message(ws, payload_bytes, t_recv)`` is called per text frame.

    ``t_recv`` is ``time.monotonic()`` taken once per ``data_received`` call (one read
    from the kernel), so frames that arrived together share it.
    """

    __slots__ = (
        "transport",
        "host_header",
        "path",
        "headers",
        "handshake",
        "buf",
        "upgraded",
        "on_message",
        "closed",
        "close_code",
        "ctx",
        "_key",
    )

    def __init__(self, host_header: str, path: str, headers: dict[str, str] | None, on_message, ctx=None):
        self.transport = None
        self.host_header = host_header
        self.path = path
        self.headers = headers or {}
        self.handshake: asyncio.Future = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()
        self.buf = bytearray()
        self.upgraded = False
        self.on_message = on_message
        self.close_code = None
        self.ctx = ctx  # free slot for the caller's per-socket state
        self._key = base64.b64encode(os.urandom(16)).decode()

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: {self.host_header}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self._key}",
            "Sec-WebSocket-Version: 13",
        ]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def connection_lost(self, exc):
        if not self.handshake.done():
            self.handshake.set_exception(HandshakeError(f"connection lost during handshake: {exc!r}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)

    def _upgrade(self, buf: bytearray) -> bool:
        """Parse the handshake response at the head of ``buf``; True once upgraded."""
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > 65536:
                self._fail_handshake("response headers too long")
            return False
        head = bytes(buf[:end]).decode("latin-1")
        del buf[: end + 4]
        status = head.split("\r\n", 1)[0]
        if " 101 " not in status + " ":
            self._fail_handshake(status)
            return False
        accept = None
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "sec-websocket-accept":
                accept = v.strip()
        expected = base64.b64encode(hashlib.sha1(self._key.encode() + _GUID).digest()).decode()
        if accept != expected:
            self._fail_handshake("bad Sec-WebSocket-Accept")
            return False
        self.upgraded = True
        if not self.handshake.done():
            self.handshake.set_result(True)
        return True

    def data_received(self, data):
        buf = self.buf
        buf += data
        if not self.upgraded and (not self._upgrade(buf) or not buf):
            return
        t = time.monotonic()
        on_message = self.on_message
        pos = 0
        n = len(buf)
        got = 0
        while True:
            if n - pos < 2:
                break
            b0 = buf[pos]
            b1 = buf[pos + 1]
            ln = b1 & 0x7F
            hdr = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln = (buf[pos + 2] << 8) | buf[pos + 3]
                hdr = 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                hdr = 10
            if b1 & 0x80:  # servers never mask; refuse quietly
                hdr += 4
            end = pos + hdr + ln
            if end > n:
                break
            payload = bytes(buf[pos + hdr : end])
            pos = end
            op = b0 & 0x0F
            if op == 0x1 or op == 0x2 or op == 0x0:
                on_message(self, payload, t)
                got += 1
            elif op == 0x9:  # ping
                self.transport.write(encode_frame(payload, 0xA))
            elif op == 0x8:  # close
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                try:
                    self.transport.write(encode_frame(payload[:2], 0x8))
                finally:
                    self.transport.close()
                break
        if pos:
            del buf[:pos]
        COUNTS["reads"] += 1
        COUNTS["messages"] += got

    # -- helpers ----------------------------------------------------------------------------
    def _fail_handshake(self, why: str):
        if not self.handshake.done():
            self.handshake.set_exception(HandshakeError(why))
        self.transport.close()

    def send_text(self, text: str | bytes):
        if isinstance(text, str):
            text = text.encode()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(text, 0x1))

    def close(self, code: int = 1000):
        if self.transport is not None and not self.transport.is_closing():
            try:
                self.transport.write(encode_frame(struct.pack("!H", code), 0x8))
            finally:
                self.transport.close()

    @property
    def is_open(self) -> bool:
        return self.upgraded and self.transport is not None and not self.transport.is_closing()


async def connect(host: str, port: int, path: str, headers=None, on_message=None, ctx=None, timeout: float = 15.0):
    """Open one WebSocket; returns the protocol once the handshake succeeded."""
    loop = asyncio.get_running_loop()

    def factory():
        return WSClientProtocol(f"{host}:{port}", path, headers, on_message or (lambda *a: None), ctx)

    transport, proto = await asyncio.wait_for(loop.create_connection(factory, host, port), timeout)
    try:
        await asyncio.wait_for(proto.handshake, timeout)
    except BaseException:
        transport.close()
        raise
    return proto
