"""The application's view of a socket's outbound side (realtime.backpressure), without a server:
the real protocol is exercised end to end in tests/e2e/test_close_codes.py."""

from __future__ import annotations

import asyncio

from realtime.backpressure import Outbound, outbound_for, outbound_forget, outbound_register


async def test_drained_waits_only_while_the_transport_is_backed_up():
    outbound = Outbound()
    await asyncio.wait_for(outbound.drained(), 1)  # never backed up: returns at once
    outbound.backed_up()
    waiter = asyncio.ensure_future(outbound.drained())
    await asyncio.sleep(0)
    assert not waiter.done()
    outbound.backed_up()  # paused twice before resuming: still one wait
    outbound.caught_up()
    await asyncio.wait_for(waiter, 1)
    await asyncio.wait_for(outbound.drained(), 1)


async def test_a_close_releases_a_waiting_replay_and_stays_closed():
    outbound = Outbound()
    outbound.backed_up()
    waiter = asyncio.ensure_future(outbound.drained())
    await asyncio.sleep(0)
    outbound.close()
    await asyncio.wait_for(waiter, 1)
    outbound.backed_up()  # a pause after the close holds nobody
    await asyncio.wait_for(outbound.drained(), 1)
    assert outbound.closed


def test_the_consumer_finds_the_protocols_outbound_and_its_prepared_path():
    sent = []
    outbound = outbound_register("tok", sent.append)
    scope = {"headers": [(b"x-cl-outbound", b"tok")]}
    assert outbound_for(scope) is outbound
    outbound.send_prepared("frame")
    assert sent == ["frame"]
    outbound_forget("tok")
    assert outbound_for(scope) is None and outbound.closed
