"""The one WebSocket consumer at /ws/: parses frames into typed commands and calls services.

It holds no business logic and no ORM call of its own: reads go through `TopicKind`, writes
through the command handlers listed in settings.REALTIME_COMMANDS (the same services
the HTTP API calls), fan-out through the process's `Hub`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable

import orjson
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from pydantic import BaseModel

from realtime import fanout, lifecycle, metrics, ratelimit
from realtime.auth import signed_in
from realtime.backpressure import CLOSE_TOO_LARGE, CLOSE_TOO_SLOW, outbound_for
from realtime.batching import topic_writer
from realtime.db import db_call, db_call_for_topic
from realtime.errors import AppError
from realtime.frames import dumps, error_frame
from realtime.inputs import input_problem
from realtime.origins import socket_origin_allowed
from realtime.registry import write_commands
from realtime.replay import replay_reads
from realtime.revocation import CLOSE_REVOKED, revocation_watch, socket_credentials
from realtime.schemas import Ping, Subscribe, Typing, Unsubscribe, input_parse
from realtime.shared_reads import SharedReads
from realtime.topics import topic_parse, topics_readers_check

log = logging.getLogger(__name__)
# One line per command: socket, user, command, outcome, duration. Never a body, a token or a choice.
command_log = logging.getLogger("realtime.commands")

MAX_TOPICS_PER_SOCKET = 200
CLOSE_TOO_MANY_SOCKETS = 4029
CLOSE_TRY_AGAIN_LATER = 4013  # like 1013 "Try Again Later", which autobahn does not let an application send
CORE_COMMANDS: dict[str, type[BaseModel]] = {
    "subscribe": Subscribe,
    "unsubscribe": Unsubscribe,
    "typing": Typing,
    "ping": Ping,
}

LOGGED_COMMANDS = {*CORE_COMMANDS, "connect", "disconnect"}

# The subscribes of a reconnect storm (and the re-checks after an access change) are authorised
# together: a few queries per topic, not one per socket (realtime.shared_reads).
_read_checks = SharedReads("read_access", topics_readers_check)


def server_now_ms() -> int:
    """The server clock (Unix ms) sent in `subscribed` and `pong`: clients correct their offset
    with it, so countdowns to a server `ends_at` agree whatever each device's clock says."""
    return int(time.time() * 1000)


def replay_reset(since: int | None, head: int) -> bool:
    """Whether a subscriber resuming from `since` must start over: beyond the head, or further
    back than the replay window."""
    return since is not None and (since > head or head - since > settings.REALTIME_REPLAY_LIMIT)


# What `idle` is between commands: set, shared by every socket (waiting on it returns at once).
IDLE = asyncio.Event()
IDLE.set()

_frames_sent_by_kind: dict[str, object] = {}


def frame_sent(text: str) -> None:
    """Count a frame by its `type`: every frame is serialised with `type` first (realtime.frames)."""
    end = text.find('"', 9)
    kind = text[9:end] if text.startswith('{"type":"') and 9 < end < 40 else "other"
    counter = _frames_sent_by_kind.get(kind)
    if counter is None:
        counter = _frames_sent_by_kind[kind] = metrics.FRAMES_SENT.labels(kind)
    counter.inc()


def _frame_loads(raw: str | bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson refuses integers beyond 64 bits; the standard parser reads them so that the
        # answer (bad_request, from input_problem) can carry the frame's `ref`.
        try:
            return json.loads(raw)
        except ValueError:
            raise AppError("bad_request", f"malformed JSON: {exc}") from None


class LiveConsumer(AsyncWebsocketConsumer):
    async def __call__(self, scope, receive, send) -> None:
        """channels' consumer loop, one message after the other as before, minus two costs per
        message that this consumer does not need (it has no channel layer: the hub fans out).

        - channels waits for `receive()` through a task of its own and `asyncio.wait`: three turns
          of the event loop between daphne queueing a frame and this consumer reading it, each of
          which may include a slice of a fan-out to thousands of sockets. Here: one turn.
        - its `dispatch` first runs `close_old_connections` through `sync_to_async`, on the
          process's one sync thread, which on SQLite is the database thread: every frame (a chat
          post, an upvote) queued behind the database batch running at that moment before it was
          even read (in bench.debate the protocol-to-consumer step took 18 ms at the p90 and up
          to 99 ms). Every database call here closes stale connections itself, on its own thread
          (`realtime.db`: channels' DatabaseSyncToAsync, `_in_fresh_connection`)."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                message = await receive()
                handler = getattr(self, get_handler_name(message), None)
                if handler is None:
                    raise ValueError(f"no handler for message type {message['type']}")
                await handler(message)
        except StopConsumer:
            pass

    async def connect(self) -> None:
        self.socket_id = f"{fanout.PROCESS_ID}:{uuid.uuid4().hex[:12]}"
        self.subscriptions: dict[str, fanout.Subscription] = {}
        self.typing_sent: dict[str, float] = {}
        self.closing = False
        self.idle = IDLE  # an Event of its own only while a command runs (memory per idle socket)
        if lifecycle.is_draining():
            await self.close()  # this process is restarting: the client reconnects to another
            return
        # When each topic's last replay on this socket ended (a replay is not repeated at will).
        self.replayed_at: dict[str, float] = {}
        self.outbound = outbound_for(self.scope)
        if not socket_origin_allowed(self.scope):
            await self.close()  # before accept: the handshake is refused with 403
            return
        if self.scope.get("bearer_given"):
            self.user = self.scope.get("bearer_user")
            if self.scope.get("bearer_busy") is not None:
                await self.close_busy(self.scope["bearer_busy"])
                return
            if self.user is None:
                await self.close()
                return
        else:
            self.user = self.scope.get("user")
        self.authenticated = signed_in(self.user)
        self.hub = fanout.process_hub()
        lifecycle.socket_opened(self)
        metrics.SOCKETS_OPEN.inc()
        # A token sent as subprotocols ["bearer", token] is acknowledged as "bearer".
        await self.accept(subprotocol="bearer" if "bearer" in (self.scope.get("subprotocols") or []) else None)
        command_log.info("socket opened", extra=self.log_context("connect"))
        if not await self.slots_take():
            return
        self.credentials = socket_credentials(self.scope, self.user)
        if self.credentials:
            revocation_watch().register(self, self.credentials)

    async def close_busy(self, busy: AppError) -> None:
        """The token could not be checked in time (no database thread: a reconnect storm): accepted
        only to say so, then closed with 4013 (try again later); the client's backoff brings it back."""
        await self.accept(subprotocol="bearer" if "bearer" in (self.scope.get("subprotocols") or []) else None)
        await self.send_text(error_frame(code=busy.code, message=busy.message, retry_after=busy.retry_after))
        await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def slots_take(self) -> bool:
        """Cap the sockets of one client address and of one user (this process; PROTOCOL.md B.9)."""
        address = (self.scope.get("client") or ["unknown"])[0]
        keys = {f"ip:{address}": settings.SOCKETS_PER_IP}
        if self.authenticated:
            keys[f"user:{self.user.pk}"] = settings.SOCKETS_PER_USER
        over = ratelimit.socket_slots.take(self.socket_id, keys)
        if over is None:
            self.slot_keys = list(keys)
            return True
        who = "your address" if over.startswith("ip:") else "your account"
        message = f"too many open sockets for {who} (at most {keys[over]}); close one first"
        await self.send_text(error_frame(code="rate_limited", message=message))
        await self.close(code=CLOSE_TOO_MANY_SOCKETS)
        return False

    async def close_revoked(self) -> None:
        """Its token was revoked, its session ended or its password changed (PROTOCOL.md §1)."""
        await self.send_text(error_frame(code="auth_required", message="your sign-in was revoked or has ended"))
        await self.close(code=CLOSE_REVOKED)

    async def disconnect(self, code) -> None:
        if getattr(self, "hub", None) is None:
            return  # refused at the handshake: nothing was opened
        ratelimit.socket_slots.release(self.socket_id, getattr(self, "slot_keys", ()))
        if getattr(self, "credentials", None):
            revocation_watch().unregister(self, self.credentials)
        lifecycle.socket_closed(self)
        metrics.SOCKETS_OPEN.dec()
        command_log.info("socket closed", extra={**self.log_context("disconnect"), "outcome": code})
        for sub in getattr(self, "subscriptions", {}).values():
            self.hub.detach(sub)
        self.subscriptions = {}

    async def send_text(self, text: str) -> None:
        frame_sent(text)
        await self.send(text_data=text)

    def prepared_sender(self) -> Callable[[object], None] | None:
        """This socket's protocol writer of fan-out frames framed once for all their sockets
        (realtime.frames.broadcast_prepare; daphne_protocol `send_prepared`), or None where there
        is none (the in-memory communicator: then `send_text`). A subscription looks it up once."""
        outbound = self.outbound
        return outbound.send_prepared if outbound is not None else None

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.closing:
            return  # being closed with 4012: the client resends what got no answer, elsewhere
        self.idle = asyncio.Event()
        try:
            await self.receive_frame(text_data, bytes_data)
        finally:
            self.idle.set()
            self.idle = IDLE

    async def receive_frame(self, text_data, bytes_data) -> None:
        raw = text_data if text_data is not None else bytes_data
        size = len(raw.encode()) if isinstance(raw, str) else len(raw or b"")
        if size > settings.REALTIME_MAX_FRAME_BYTES:
            await self.send_text(
                error_frame(
                    code="too_large", message=f"frames are limited to {settings.REALTIME_MAX_FRAME_BYTES} bytes"
                )
            )
            await self.close(code=CLOSE_TOO_LARGE)  # daphne may not send 1009 (PROTOCOL.md §1)
            return
        ref = None
        kind = None
        outcome = "ok"
        started = time.perf_counter()
        try:
            frame = _frame_loads(raw)
            if not isinstance(frame, dict):
                raise AppError("bad_request", "a frame is a JSON object")
            ref = frame.get("ref") if isinstance(frame.get("ref"), str) and len(frame["ref"]) <= 64 else None
            kind = frame.get("type") if isinstance(frame.get("type"), str) else None
            problem = input_problem(frame)
            if problem:
                raise AppError("bad_request", problem)
            await self.dispatch_command(frame)
        except AppError as exc:
            outcome = exc.code
            await self.send_text(error_frame(code=exc.code, message=exc.message, ref=ref, retry_after=exc.retry_after))
        except Exception:
            outcome = "internal"
            log.exception("socket command failed", extra=self.log_context(kind))
            await self.send_text(error_frame(code="internal", message="internal error", ref=ref))
        finally:
            self.command_logged(kind, outcome, time.perf_counter() - started)

    def log_context(self, command: str | None) -> dict:
        user = getattr(self, "user", None)
        return {
            "socket": self.socket_id,
            "user": user.pk if user is not None and user.is_authenticated else None,
            "command": command if command in LOGGED_COMMANDS or command in write_commands() else "unknown",
        }

    def command_logged(self, command: str | None, outcome: str, seconds: float) -> None:
        context = self.log_context(command)
        level = logging.DEBUG if command in ("ping", "typing") else logging.INFO
        context.update(outcome=outcome, duration_ms=round(seconds * 1000, 2))
        metrics.COMMANDS.labels(context["command"], outcome).inc()
        command_log.log(level, "%s %s", context["command"], outcome, extra=context)

    async def dispatch_command(self, frame: dict) -> None:
        kind = frame.get("type")
        if not isinstance(kind, str):
            raise AppError("bad_request", "every frame needs a string `type`")
        if kind in CORE_COMMANDS:
            command = self.parse(CORE_COMMANDS[kind], frame)
            await getattr(self, f"on_{kind}")(command)
            return
        entry = write_commands().get(kind)
        if entry is None:
            raise AppError("bad_request", f"unknown command type {str(kind)[:40]!r}")
        if not self.authenticated:
            raise AppError("auth_required", "sign in to write")
        schema, handler = entry
        command = self.parse(schema, frame)
        ratelimit.write_check(self.user.pk)
        # The handler calls a `user_write` service: rate limit, receipt and transaction are there.
        # With group commit, the writes to one topic arriving together share one transaction (one
        # batch at a time per topic); without it, one topic's writes hold at most a few threads.
        topic = getattr(command, "topic", None)
        with metrics.WRITE_LATENCY.labels(kind).time():
            if isinstance(topic, str) and settings.REALTIME_GROUP_COMMIT:
                data = await topic_writer().write(topic, handler, user=self.user, command=command)
            elif isinstance(topic, str):
                data = await db_call_for_topic(topic, handler, user=self.user, command=command)
            else:
                data = await db_call(handler, user=self.user, command=command)
            await self.send_text(dumps({"type": "ok", "ref": command.ref, "data": data}))

    @staticmethod
    def parse(schema: type[BaseModel], frame: dict) -> BaseModel:
        return input_parse(schema, frame)

    # --- core commands ----------------------------------------------------------------------

    async def on_ping(self, command: Ping) -> None:
        await self.send_text(dumps({"type": "pong", "ref": command.ref, "now": server_now_ms()}))

    async def on_subscribe(self, command: Subscribe) -> None:
        topic = command.topic
        kind, _ = topic_parse(topic)
        access_changes = self.hub.access_changes  # an access change from here on: checked again below
        await self.authorize_read(topic)
        if command.since is not None:
            wait = self.replayed_at.get(topic, -1e9) + settings.REALTIME_REPLAY_COOLDOWN - time.monotonic()
            if wait > 0:
                raise AppError("rate_limited", f"{topic} was just replayed on this socket", retry_after=round(wait, 2))
        if topic in self.subscriptions:
            self.hub.detach(self.subscriptions.pop(topic))
        if len(self.subscriptions) >= MAX_TOPICS_PER_SOCKET:
            raise AppError("bad_request", f"at most {MAX_TOPICS_PER_SOCKET} topics per socket")
        sub = fanout.Subscription(
            self, topic, username=self.user.username if self.authenticated else None, deltas=command.deltas
        )
        self.subscriptions[topic] = sub
        channel = await self.hub.attach(sub)
        if self.hub.access_changes != access_changes:
            # Access changed somewhere between the check and now, when the hub may not have had this
            # subscription to check again (the room turned private during a subscribe): check now.
            try:
                await self.authorize_read(topic)
            except AppError:
                self.subscription_end(sub)
                raise
        # Live events buffer in `sub` while the replay is read and sent: no gap, no duplicate at the seam.
        head = await replay_reads().head(topic)  # shared with the other subscribes of this moment
        reset = replay_reset(command.since, head)
        if command.since is not None:
            metrics.REPLAY_REQUESTS.inc()
            if reset:
                metrics.REPLAY_RESETS.inc()
        reply = {"type": "subscribed", "topic": topic, "seq": head, "ref": command.ref, "now": server_now_ms()}
        if reset:
            reply["reset"] = True
        await self.send_text(dumps(reply))
        if command.since is not None and not reset:
            try:
                await self.replay(sub, command.since, head)
            finally:
                self.replayed_at[topic] = time.monotonic()
        if self.subscriptions.get(topic) is not sub:
            return  # unsubscribed meanwhile
        await sub.go_live(head)
        if kind.state_kind is not None or channel.states:
            await self.hub.state_for_new_subscriber(channel, sub)
        if kind.has_presence:
            self.hub.presence_join(sub)

    async def authorize_read(self, topic: str) -> None:
        """Raise the AppError of a topic this socket may not follow (checked with the others asking now)."""
        user = self.user if self.authenticated else None
        refused = await _read_checks.get((topic, user.pk if user is not None else None), user)
        if refused is not None:
            raise AppError(refused.code, refused.message, retry_after=refused.retry_after)

    async def replay(self, sub: fanout.Subscription, since: int, head: int) -> None:
        """Send the events (since, head] page by page, each page once the client took the last one,
        so a replay never sits whole in memory, here or in the transport."""
        after = since
        while after < head and self.subscriptions.get(sub.topic) is sub:
            page = await replay_reads().page(sub.topic, after, head)  # one read for concurrent resumes
            if not page:
                return
            for _, text in page:
                await self.send_text(text)
            after = page[-1][0]
            if self.outbound is not None:
                try:
                    await asyncio.wait_for(self.outbound.drained(), settings.REALTIME_SLOW_CLIENT_GRACE)
                except TimeoutError:
                    log.info("closing a socket that does not read (replay of %s stalled)", sub.topic)
                    await self.close(code=CLOSE_TOO_SLOW)
                    return
                if self.outbound.closed:
                    return

    async def access_recheck(self, sub: fanout.Subscription) -> bool:
        """Called by the hub when access to `sub.topic` changed: True if still allowed; else the
        subscription ends here with `unsubscribed` carrying `code: forbidden` (fails closed)."""
        try:
            await self.authorize_read(sub.topic)
            return True
        except AppError:
            pass
        if self.subscription_end(sub):
            frame = {"type": "unsubscribed", "topic": sub.topic, "ref": None, "code": "forbidden"}
            frame["message"] = "you may no longer follow this topic"
            await self.send_text(dumps(frame))
        return False

    def subscription_end(self, sub: fanout.Subscription) -> bool:
        """End `sub` if it is still this socket's subscription to its topic (not replaced by a new
        subscribe meanwhile); whether it was."""
        if self.subscriptions.get(sub.topic) is not sub:
            return False
        del self.subscriptions[sub.topic]
        self.hub.detach(sub)
        return True

    async def on_unsubscribe(self, command: Unsubscribe) -> None:
        sub = self.subscriptions.pop(command.topic, None)
        if sub is None:
            raise AppError("bad_request", f"not subscribed to {command.topic}")
        self.hub.detach(sub)
        await self.send_text(dumps({"type": "unsubscribed", "topic": command.topic, "ref": command.ref}))

    async def on_typing(self, command: Typing) -> None:
        if not self.authenticated:
            raise AppError("auth_required", "sign in to type")
        if command.topic not in self.subscriptions:
            raise AppError("bad_request", f"subscribe to {command.topic} before typing in it")
        if not await ratelimit.typing_allow(self.user.pk, command.topic):
            return  # throttled: the others already know
        frame = dumps({"type": "typing", "topic": command.topic, "user": self.user.username})
        fanout.publish_typing(command.topic, self.socket_id, frame)
