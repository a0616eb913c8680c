"""Serialisation of server frames. Each frame is serialised once and the same text goes to every socket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from autobahn.websocket.protocol import PreparedMessage


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def event_frame(*, topic: str, seq: int, kind: str, data: dict, at: datetime | str) -> str:
    return dumps({"type": "event", "topic": topic, "seq": seq, "kind": kind, "data": data, "at": at})


def state_frame(*, topic: str, kind: str, data: dict) -> str:
    return dumps({"type": "state", "topic": topic, "kind": kind, "data": data})


def error_frame(*, code: str, message: str, ref: str | None = None, retry_after: float | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "ref": ref, "code": code, "message": message}
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return dumps(frame)


def broadcast_prepare(text: str) -> PreparedMessage:
    """A server frame framed once as a WebSocket text message, for every socket that gets it
    (server frames are not masked, so the bytes are the same for all: autobahn's broadcast path)."""
    return PreparedMessage(text.encode(), False, False, False)
