"""The one WebSocket consumer at /ws/: parses frames into typed commands and calls services.

It holds no business logic and no ORM call of its own: reads go through `TopicKind`, writes
through the command handlers listed in settings.REALTIME_COMMANDS (the same services
the HTTP API calls), fan-out through the process's `Hub`.
"""

from __future__ import annotations

import logging
import time
import uuid
from urllib.parse import urlsplit

import orjson
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from pydantic import BaseModel

from realtime import fanout, ratelimit
from realtime.auth import signed_in
from realtime.db import db_call
from realtime.errors import AppError
from realtime.event_log import topic_events_after, topic_head
from realtime.frames import dumps, error_frame
from realtime.registry import write_commands
from realtime.schemas import Ping, Subscribe, Typing, Unsubscribe, input_parse
from realtime.topics import topic_parse

log = logging.getLogger(__name__)

MAX_TOPICS_PER_SOCKET = 200
CORE_COMMANDS: dict[str, type[BaseModel]] = {
    "subscribe": Subscribe,
    "unsubscribe": Unsubscribe,
    "typing": Typing,
    "ping": Ping,
}


def origin_allowed(scope) -> bool:
    """Non-browser clients send no Origin; a browser's Origin must be this site."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin")
    if origin is None:
        return True
    parsed = urlsplit(origin.decode("latin-1"))
    if not parsed.hostname:
        return False
    host = headers.get(b"host", b"").decode("latin-1")
    if parsed.netloc == host:
        return True
    domain, _ = split_domain_port(parsed.netloc)
    return validate_host(domain, settings.ALLOWED_HOSTS)


def _replay(topic: str, since: int | None) -> tuple[int, list[tuple[int, str]], bool]:
    """(head, frames after `since`, reset) — reset when `since` is beyond what is replayed."""
    head = topic_head(topic)
    if since is None:
        return head, [], False
    if since > head or head - since > settings.REALTIME_REPLAY_LIMIT:
        return head, [], True
    return head, topic_events_after(topic, since, up_to=head), False


class LiveConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.socket_id = f"{fanout.PROCESS_ID}:{uuid.uuid4().hex[:12]}"
        self.subscriptions: dict[str, fanout.Subscription] = {}
        self.typing_sent: dict[str, float] = {}
        if not origin_allowed(self.scope):
            await self.close()  # before accept: the handshake is refused with 403
            return
        if self.scope.get("bearer_given"):
            self.user = self.scope.get("bearer_user")
            if self.user is None:
                await self.close()
                return
        else:
            self.user = self.scope.get("user")
        self.authenticated = signed_in(self.user)
        self.hub = fanout.process_hub()
        # A token sent as subprotocols ["bearer", token] is acknowledged as "bearer".
        await self.accept(subprotocol="bearer" if "bearer" in (self.scope.get("subprotocols") or []) else None)

    async def disconnect(self, code) -> None:
        for sub in getattr(self, "subscriptions", {}).values():
            self.hub.detach(sub)
        self.subscriptions = {}

    async def send_text(self, text: str) -> None:
        await self.send(text_data=text)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        raw = text_data if text_data is not None else bytes_data
        size = len(raw.encode()) if isinstance(raw, str) else len(raw or b"")
        if size > settings.REALTIME_MAX_FRAME_BYTES:
            await self.send_text(
                error_frame(
                    code="too_large", message=f"frames are limited to {settings.REALTIME_MAX_FRAME_BYTES} bytes"
                )
            )
            await self.close(code=1009)
            return
        ref = None
        try:
            try:
                frame = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise AppError("bad_request", f"malformed JSON: {exc}") from None
            if not isinstance(frame, dict):
                raise AppError("bad_request", "a frame is a JSON object")
            ref = frame.get("ref") if isinstance(frame.get("ref"), str) and len(frame["ref"]) <= 64 else None
            await self.dispatch_command(frame)
        except AppError as exc:
            await self.send_text(error_frame(code=exc.code, message=exc.message, ref=ref, retry_after=exc.retry_after))
        except Exception:
            log.exception("socket command failed (user=%s)", getattr(self.user, "pk", None))
            await self.send_text(error_frame(code="internal", message="internal error", ref=ref))

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
        data = await db_call(handler, user=self.user, command=command)
        await self.send_text(dumps({"type": "ok", "ref": command.ref, "data": data}))

    @staticmethod
    def parse(schema: type[BaseModel], frame: dict) -> BaseModel:
        return input_parse(schema, frame)

    # --- core commands ----------------------------------------------------------------------

    async def on_ping(self, command: Ping) -> None:
        await self.send_text(dumps({"type": "pong", "ref": command.ref}))

    async def on_subscribe(self, command: Subscribe) -> None:
        topic = command.topic
        kind, object_id = topic_parse(topic)
        await db_call(kind.authorize_read, self.user if self.authenticated else None, object_id)
        if topic in self.subscriptions:
            self.hub.detach(self.subscriptions.pop(topic))
        if len(self.subscriptions) >= MAX_TOPICS_PER_SOCKET:
            raise AppError("bad_request", f"at most {MAX_TOPICS_PER_SOCKET} topics per socket")
        sub = fanout.Subscription(self, topic, username=self.user.username if self.authenticated else None)
        self.subscriptions[topic] = sub
        channel = await self.hub.attach(sub)
        # Live events buffer in `sub` while the replay is read and sent: no gap, no duplicate at the seam.
        head, frames, reset = await db_call(_replay, topic, command.since)
        reply = {"type": "subscribed", "topic": topic, "seq": head, "ref": command.ref}
        if reset:
            reply["reset"] = True
        await self.send_text(dumps(reply))
        for _, text in frames:
            await self.send_text(text)
        if self.subscriptions.get(topic) is not sub:
            return  # unsubscribed meanwhile
        await sub.go_live(head)
        if kind.state_kind is not None or channel.states:
            await self.hub.state_for_new_subscriber(channel, sub)
        if kind.has_presence:
            self.hub.presence_join(sub)

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
        now = time.monotonic()
        if now - self.typing_sent.get(command.topic, 0.0) < settings.TYPING_INTERVAL:
            return  # throttled: the others already know
        self.typing_sent[command.topic] = now
        frame = dumps({"type": "typing", "topic": command.topic, "user": self.user.username})
        fanout.publish_typing(command.topic, self.socket_id, frame)
