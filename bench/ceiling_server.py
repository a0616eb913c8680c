"""The load client's ceiling: a trivial WebSocket server that costs next to nothing per delivery.

It speaks the part of the project's protocol the fan-out scenarios use: ``subscribe``
(answered ``subscribed``), ``post`` (answered ``ok``; one ``event`` frame built once, its
bytes written to every subscriber of the topic). No database, no Django, no per-socket
task. What the bench measures against it is what the client and the machine allow, so
every other figure can be read as a share of that ceiling.

Run: ``python -m bench.ceiling_server PORT``
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import sys

import orjson

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def server_frame(payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x81, n) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


def unmask(data: bytes, key: bytes) -> bytes:
    n = len(data)
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(data, "big") ^ k).to_bytes(n, "big")


class Topics:
    def __init__(self):
        self.subscribers: dict[str, list] = {}
        self.seq: dict[str, int] = {}

    def publish(self, topic: str, body: str) -> int:
        seq = self.seq.get(topic, 0) + 1
        self.seq[topic] = seq
        frame = server_frame(
            orjson.dumps(
                {"type": "event", "topic": topic, "seq": seq, "kind": "message.posted", "data": {"body": body}}
            )
        )
        for transport in self.subscribers.get(topic, ()):
            if not transport.is_closing():
                transport.write(frame)
        return seq


class TrivialSocket(asyncio.Protocol):
    def __init__(self, topics: Topics):
        self.topics = topics
        self.buf = bytearray()
        self.upgraded = False
        self.transport = None
        self.subscribed: list[str] = []

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        for topic in self.subscribed:
            subs = self.topics.subscribers.get(topic, [])
            if self.transport in subs:
                subs.remove(self.transport)

    def data_received(self, data):
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            del self.buf[: end + 4]
            key = next(
                line.split(":", 1)[1].strip()
                for line in head.split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
            self.transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
            )
            self.upgraded = True
        self._frames()

    def _frames(self):
        buf = self.buf
        while len(buf) >= 2:
            op, ln, hdr = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if ln == 126:
                ln, hdr = struct.unpack("!H", buf[2:4])[0], 4
            elif ln == 127:
                ln, hdr = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < hdr + 4 + ln:
                return
            payload = unmask(bytes(buf[hdr + 4 : hdr + 4 + ln]), bytes(buf[hdr : hdr + 4]))
            del buf[: hdr + 4 + ln]
            if op == 0x8:
                self.transport.close()
                return
            if op == 0x1:
                self._command(orjson.loads(payload))

    def _command(self, d: dict):
        typ, topic = d.get("type"), d.get("topic")
        if typ == "subscribe":
            self.topics.subscribers.setdefault(topic, []).append(self.transport)
            self.subscribed.append(topic)
            reply = {"type": "subscribed", "topic": topic, "seq": self.topics.seq.get(topic, 0), "ref": d.get("ref")}
            self.transport.write(server_frame(orjson.dumps(reply)))
        elif typ == "post":
            seq = self.topics.publish(topic, d.get("body", ""))
            self.transport.write(server_frame(orjson.dumps({"type": "ok", "ref": d.get("ref"), "data": {"seq": seq}})))


async def serve(port: int):
    topics = Topics()
    server = await asyncio.get_running_loop().create_server(
        lambda: TrivialSocket(topics), "127.0.0.1", port, backlog=4096
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
