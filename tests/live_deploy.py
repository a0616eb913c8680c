"""The deployed shape around live servers: the real nginx with deploy/nginx.conf and TLS in front of
daphne processes, and a client that resumes the way PROTOCOL.md asks (reconnect, `since`, same `ref`)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import websockets

from tests.live import ROOT, LiveSocket, free_port, wait_port


class ResumingClient:
    """A client as PROTOCOL.md asks clients to be: when its socket closes (4012 on a restart, or a lost
    process) it reconnects, subscribes again with `since` = the last seq it holds, and resends every
    unanswered write with the same `ref`. Keeps every socket it used, so a test sees every frame."""

    def __init__(self, url: str, token: str, reconnect_timeout: float = 30.0, **connect_options) -> None:
        self.url, self.token, self.options = url, token, connect_options
        self.reconnect_timeout = reconnect_timeout
        self.sockets: list[LiveSocket] = []
        self.topics: list[str] = []
        self.close_codes: list[int | None] = []
        self._connecting: asyncio.Lock = asyncio.Lock()
        self._closing = False
        self._watch: asyncio.Task | None = None

    @property
    def current(self) -> LiveSocket | None:
        return self.sockets[-1] if self.sockets else None

    def last_seq(self, topic: str) -> int:
        return max((seq for live in self.sockets for seq in live.seqs(topic)), default=0)

    def seqs(self, topic: str) -> list[int]:
        """Every seq of `topic` received, over all sockets, in arrival order (duplicates kept)."""
        return [seq for live in self.sockets for seq in live.seqs(topic)]

    async def connect(self) -> LiveSocket:
        async with self._connecting:
            current = self.current
            if current is not None and not current.closed.is_set():
                return current
            if current is not None:
                self.close_codes.append(current.ws.close_code)
            deadline = time.monotonic() + self.reconnect_timeout
            while True:
                live = None
                try:
                    live = await LiveSocket.open(self.url, self.token, **self.options)
                    for topic in self.topics:
                        since = self.last_seq(topic)
                        self.sockets.append(live)  # counted from now on, replay included
                        reply = await live.subscribe(topic, since=since)
                        if reply["type"] != "subscribed":
                            raise ConnectionError(f"subscribe refused: {reply}")
                    if live not in self.sockets:
                        self.sockets.append(live)
                    self._watch = asyncio.create_task(self._reconnect_when_closed(live))
                    return live
                except (OSError, ConnectionError, TimeoutError, websockets.WebSocketException):
                    if live is not None:
                        await live.close()
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)  # the proxy is between two workers: try again shortly

    async def _reconnect_when_closed(self, live: LiveSocket) -> None:
        """A reader reconnects as soon as its live closes, not only when it next writes."""
        await live.closed.wait()
        if not self._closing:
            await self.connect()

    async def subscribe(self, topic: str) -> None:
        """Follow `topic` from its first seq (since=0), then across every reconnect."""
        current = self.current
        self.topics.append(topic)
        if current is not None and not current.closed.is_set():
            reply = await current.subscribe(topic, since=self.last_seq(topic))
            assert reply["type"] == "subscribed", reply
        else:
            await self.connect()  # subscribes every topic

    async def write(self, frame: dict, timeout: float = 30.0) -> dict:
        """Send a write until it is answered (same `ref` every time); the answer."""
        frame = {"ref": uuid.uuid4().hex, **frame}
        deadline = time.monotonic() + timeout
        while True:
            live = await self.connect()
            try:
                return await live.request(frame, timeout=max(0.1, deadline - time.monotonic()))
            except (ConnectionError, websockets.ConnectionClosed):
                continue  # closed before the answer: resend the same ref on the next live

    async def wait_seq(self, topic: str, seq: int, timeout: float = 20.0) -> None:
        """Until an event of `topic` with at least `seq` arrived, on whichever socket is current."""
        deadline = time.monotonic() + timeout
        while self.last_seq(topic) < seq:
            live = await self.connect()
            try:
                await live.wait_seq(topic, seq, timeout=max(0.1, deadline - time.monotonic()))
                return
            except ConnectionError:
                continue

    async def close(self) -> None:
        self._closing = True
        for live in self.sockets:
            await live.close()
        if self._watch is not None:
            await self._watch


class NginxProxy:
    """The real nginx with deploy/nginx.conf in front of daphne ports, TLS with a certificate made here.

    `https_url`, `wss_url` reach the workers through TLS; `http_url` is the plain port that redirects;
    `ssl_context` trusts the self-signed certificate (made with `openssl` for 127.0.0.1).
    """

    def __init__(self, upstream_ports: list[int]) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="cl-nginx-"))
        self.https_port, self.http_port = free_port(), free_port()
        cert, key = self.workdir / "cert.pem", self.workdir / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        config = (ROOT / "deploy" / "nginx.conf").read_text()
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in upstream_ports)
        lines = [line for line in config.splitlines(keepends=True) if not line.strip().startswith("server web")]
        config = "".join(lines).replace("    least_conn;\n", "    least_conn;\n" + servers)
        config = config.replace("listen 443 ssl;", f"listen 127.0.0.1:{self.https_port} ssl;")
        config = config.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        config = config.replace("/etc/nginx/tls/fullchain.pem", str(cert)).replace(
            "/etc/nginx/tls/privkey.pem", str(key)
        )
        config = config.replace("root /var/www/certbot;", f"root {self.workdir};")
        (self.workdir / "site.conf").write_text(config)
        (self.workdir / "nginx.conf").write_text(
            f"daemon off; pid {self.workdir}/nginx.pid; error_log {self.workdir}/error.log;\n"
            f"events {{}}\nhttp {{ access_log {self.workdir}/access.log; client_body_temp_path {self.workdir};"
            f" proxy_temp_path {self.workdir};\ninclude {self.workdir}/site.conf; }}\n"
        )
        self.process = subprocess.Popen(["nginx", "-c", str(self.workdir / "nginx.conf"), "-p", str(self.workdir)])
        wait_port(self.https_port, self.process)
        self.ssl_context = ssl.create_default_context(cafile=str(cert))

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def wss_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/ws/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def error_log(self) -> str:
        path = self.workdir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)  # its config, certificate and logs
