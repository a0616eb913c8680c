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


# The lists a delta can describe, by the key they have in a snapshot: the ranked questions of a
# debate (`items`) and the floor's waiting hands (`hands`). One per snapshot.
DELTA_LISTS = ("items", "hands")


def _delta_list(snapshot: dict) -> str | None:
    return next((key for key in DELTA_LISTS if isinstance(snapshot.get(key), list)), None)


def state_delta(old: dict, new: dict) -> dict | None:
    """What a socket holding `old` needs to rebuild `new` (a `state` frame with `delta: true`), or
    None where only the whole snapshot will do. Applies to a snapshot whose list (`items`, the
    debate's ranked questions, or `hands`, the floor's queue: DELTA_LISTS) holds objects with an
    `id`: `order` lists the ids in their new order, `changed` carries the new items whole and, for
    an item that changed, its `id` and the keys whose value changed; `list` names the list when it
    is not `items`; every other key of `new` is copied. An item whose set of keys changed, or ids
    not unique, mean the whole snapshot."""
    key = _delta_list(new)
    if key is None or _delta_list(old) != key:
        return None
    before_items, after_items = old[key], new[key]
    if not all(isinstance(item, dict) and "id" in item for item in (*before_items, *after_items)):
        return None
    before = {item["id"]: item for item in before_items}
    order = [item["id"] for item in after_items]
    if len(before) != len(before_items) or len(set(order)) != len(order):
        return None
    changed = []
    for item in after_items:
        held = before.get(item["id"])
        if held is None:
            changed.append(item)
        elif held != item:
            if held.keys() != item.keys():
                return None
            changed.append({"id": item["id"], **{k: v for k, v in item.items() if held[k] != v}})
    delta = {k: v for k, v in new.items() if k != key}
    delta["order"] = order
    delta["changed"] = changed
    if key != "items":
        delta["list"] = key
    return delta


def state_delta_apply(held: dict | None, delta: dict) -> dict | None:
    """The snapshot a client rebuilds from the one it holds and a delta (what static/js/socket.js
    does; the bench and the tests use this one), or None when `held` cannot be its base."""
    key = delta.get("list", "items")
    if held is None or not isinstance(held.get(key), list):
        return None
    by_id = {item["id"]: item for item in held[key]}
    for change in delta["changed"]:
        by_id[change["id"]] = {**by_id.get(change["id"], {}), **change}
    if any(i not in by_id for i in delta["order"]):
        return None
    rebuilt = {k: v for k, v in delta.items() if k not in ("order", "changed", "list")}
    rebuilt[key] = [by_id[i] for i in delta["order"]]
    return rebuilt


def state_frame_apply(held: dict | None, frame: dict) -> dict | None:
    """The snapshot a client holds after a `state` frame: its data when whole, else the delta applied
    to `held` (None when `held` cannot be the delta's base)."""
    return state_delta_apply(held, frame["data"]) if frame.get("delta") else frame["data"]


def state_delta_frame(*, topic: str, kind: str, delta: dict) -> str:
    return dumps({"type": "state", "topic": topic, "kind": kind, "delta": True, "data": delta})


def error_frame(*, code: str, message: str, ref: str | None = None, retry_after: float | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "ref": ref, "code": code, "message": message}
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return dumps(frame)


def broadcast_prepare(text: str) -> PreparedMessage:
    """A server frame framed once as a WebSocket text message, for every socket that gets it
    (server frames are not masked, so the bytes are the same for all: autobahn's broadcast path)."""
    return PreparedMessage(text.encode(), False, False, False)


class PreparedFrames:
    """Prepared frames that go to one socket together, their wire bytes back to back: one `send`
    for all of them (a state tick: a debate page's questions and floor queue; realtime/fanout/
    snapshots.py `flush`). The same combination of frames is framed once for every socket that
    gets it, as one frame is (`broadcast_prepare`)."""

    __slots__ = ("parts", "payloadHybi")

    def __init__(self, parts: list[PreparedMessage]) -> None:
        self.parts = tuple(parts)
        self.payloadHybi = b"".join(part.payloadHybi for part in parts)  # noqa: N815 (autobahn's name)
