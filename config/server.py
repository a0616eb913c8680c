"""daphne with a graceful SIGTERM: `python -m config.server [daphne's options] config.asgi:application`.

Plain daphne stops its reactor on SIGTERM and cancels every connection at once. Here SIGTERM
stops listening (the load balancer sends new connections to the other processes), then closes
each socket with 4012 once its command in flight has answered (realtime.lifecycle), then exits.
A second SIGTERM, or SIGINT, stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import daphne.server  # installs Twisted's asyncio reactor: must come before twisted.internet.reactor
from daphne.cli import CommandLineInterface
from prometheus_client import multiprocess
from twisted.internet import reactor

from realtime.lifecycle import COMMAND_GRACE_SECONDS, process_drain

log = logging.getLogger("config.server")


# Twisted listens with a backlog of 50: a reconnect storm (3,000 clients back at once, bench S8)
# overflows it, and the dropped SYNs come back after 1, 3, 7, 15 s, past a client's handshake
# timeout. The kernel caps it at net.core.somaxconn (4096 on Debian).
LISTEN_BACKLOG = int(os.environ.get("LISTEN_BACKLOG", "4096"))


def endpoint_with_backlog(description: str, backlog: int = LISTEN_BACKLOG) -> str:
    """A TCP endpoint description with a listen backlog, unless it names one (daphne's `-b/-p`
    build `tcp:port=…:interface=…`; `-e` may give any)."""
    if not description.startswith("tcp:") or "backlog=" in description:
        return description
    return f"{description}:backlog={backlog}"


class DrainingServer(daphne.server.Server):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.endpoints = [endpoint_with_backlog(str(e)) for e in self.endpoints]
        self.ports: list = []
        self.draining = False

    def listen_success(self, port) -> None:
        self.ports.append(port)
        super().listen_success(port)

    def run(self) -> None:
        # After the reactor installed its own handlers, so that ours replaces its SIGTERM one.
        reactor.callWhenRunning(signal.signal, signal.SIGTERM, self._on_sigterm)
        super().run()

    def _on_sigterm(self, signum, frame) -> None:
        reactor.callFromThread(self.drain_start)

    def drain_start(self) -> None:
        if self.draining:
            self.stop()
            return
        self.draining = True
        for port in self.ports:
            port.stopListening()
        log.info("SIGTERM: stopped listening, draining")
        future = asyncio.ensure_future(self.drain())
        future.add_done_callback(self._drained)

    async def drain(self) -> int:
        closed = await process_drain()
        # HTTP requests in flight (and the sockets' last frames) finish before the reactor stops.
        running = [
            details["application_instance"]
            for details in self.connections.values()
            if details.get("application_instance") is not None and not details["application_instance"].done()
        ]
        if running:
            await asyncio.wait(running, timeout=COMMAND_GRACE_SECONDS)
        return closed

    def _drained(self, future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("drain failed", exc_info=future.exception())
        else:
            log.info("drained %s sockets; exiting", 0 if future.cancelled() else future.result())
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # This process's gauges stop counting in the sums (its counters stay).
            multiprocess.mark_process_dead(os.getpid())
        self.stop()


class DrainingCommandLineInterface(CommandLineInterface):
    server_class = DrainingServer


if __name__ == "__main__":
    DrainingCommandLineInterface.entrypoint()
