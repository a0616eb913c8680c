"""Shared fixtures: model factories, socket communicators on the real ASGI app, live servers."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.communicator import Communicator
from tests.live import LiveStack
from tests.live_deploy import NginxProxy
from tests.tools import require_tool

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    # Tests that exercise the limiter set their own values.
    settings.RATE_LIMIT_PER_SECOND = 1000.0
    settings.RATE_LIMIT_BURST = 1000.0
    settings.LOGIN_BURST = settings.REGISTER_BURST = 1000.0
    settings.SOCKETS_PER_IP = settings.SOCKETS_PER_USER = 100_000
    from realtime import ratelimit

    ratelimit._buckets.clear()
    ratelimit._backoffs.clear()
    ratelimit.socket_slots.open.clear()


@pytest.fixture(autouse=True)
def _notifications_delivered_by_the_test(settings):
    # In-process tests deliver with notifications.services.deliveries_run() where they mean to:
    # a background thread could not see the test's uncommitted rows anyway.
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Factories and sign-ups hash many passwords; PBKDF2's deliberate cost is not under test here
    # (live servers started by tests/live.py keep the real hasher).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from accounts.services import token_issue

    def make(username: str | None = None, **fields):
        user = get_user_model().objects.create_user(
            username=username or f"user{next(_counter)}", password="!", **fields
        )
        user.token = token_issue(user=user)
        return user

    return make


@pytest.fixture
def make_room(db):
    from discussions.models import Room
    from discussions.services import room_create

    def make(owner, name: str = "Salon", visibility: str = "public", commune=None, **kwargs):
        commune = getattr(commune, "insee", commune)
        created = room_create(creator=owner, name=name, visibility=visibility, commune=commune, **kwargs)
        room = Room.objects.get(id=created["id"])
        room.created_by = owner  # the factory's user, with its API token
        return room

    return make


class Socket:
    """A WebsocketCommunicator speaking JSON, on the project's real ASGI application."""

    def __init__(self, communicator: Communicator) -> None:
        self.communicator = communicator

    async def send(self, frame) -> None:
        await self.communicator.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict:
        return json.loads(await self.communicator.receive_from(timeout))

    async def recv_until(self, predicate, timeout: float = 5.0) -> dict:
        while True:
            frame = await self.recv(timeout)
            if predicate(frame):
                return frame

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
async def connect():
    """`await connect(user)` (or None for anonymous) -> a connected Socket; all closed at teardown."""
    from config.routing import application

    sockets: list[Socket] = []

    async def open_socket(user=None, headers=None) -> Socket:
        all_headers = list(headers or [])
        if user is not None:
            all_headers.append((b"authorization", f"Bearer {user.token}".encode()))
        communicator = Communicator(application, "/ws/", headers=all_headers)
        connected, _ = await communicator.connect()
        assert connected
        socket = Socket(communicator)
        sockets.append(socket)
        return socket

    yield open_socket
    for socket in sockets:
        await socket.close()
    from realtime import fanout

    # As channels' own tests assert empty groups: once every socket left, the process's hub
    # serves no topic, so it holds no subscription and no presence either.
    hub = fanout.process_hub_running()
    leftovers = {} if hub is None else {t.topic: len(t.subscribers) for t in hub.table}
    await fanout.process_hub_stop()
    assert leftovers == {}, f"the hub still serves topics after every socket left: {leftovers}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures see at teardown whether their test failed (`item.failed_phases`).
    report = yield
    if report.failed:
        item.failed_phases = {*getattr(item, "failed_phases", ()), report.when}
    return report


@pytest.fixture
def live_stack(request):
    """`live_stack(processes=2, redis=True, scheduler=False)` -> a started LiveStack; stopped at
    teardown, its tmp dir removed (kept, with the servers' logs, when the test failed)."""
    stacks: list[LiveStack] = []

    def start(**kwargs) -> LiveStack:
        stack = LiveStack(**kwargs)
        stacks.append(stack)
        return stack

    yield start
    failed = bool(getattr(request.node, "failed_phases", ()))
    for stack in stacks:
        stack.close(keep_files=failed)


@pytest.fixture
def nginx_proxy():
    """`nginx_proxy([port, …])` -> the real nginx with deploy/nginx.conf (TLS) in front of them; stopped at teardown."""
    require_tool("nginx")
    require_tool("openssl")
    proxies: list[NginxProxy] = []

    def start(upstream_ports: list[int]) -> NginxProxy:
        proxy = NginxProxy(upstream_ports)
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.close()


@pytest.fixture(autouse=True)
def _emitted_events_match_their_schema(request):
    """Every event a test makes the code emit is checked against the schema of its kind
    (settings.REALTIME_EVENT_SCHEMAS), as Zulip's event_schema checks every event its tests see.
    Tests marked `synthetic_events` (the transport's own) append made-up events and are not checked."""
    from django.db.models.signals import post_save

    from realtime.models import TopicEvent
    from tests.event_schemas import emitted_events_check

    emitted: list[tuple[str, dict]] = []

    def collect(sender, instance, created, **kwargs):
        emitted.append((instance.kind, json.loads(json.dumps(instance.data, default=str))))

    post_save.connect(collect, sender=TopicEvent, weak=False, dispatch_uid="emitted-events")
    try:
        yield emitted
    finally:
        post_save.disconnect(sender=TopicEvent, dispatch_uid="emitted-events")
    if request.node.get_closest_marker("synthetic_events") is None:
        emitted_events_check(emitted)
