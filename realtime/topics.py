"""Topic names and the per-kind rules (who may read, what live state a topic carries).

Domain apps implement a `TopicKind` per prefix and list it in settings.REALTIME_TOPIC_KINDS;
the transport knows nothing else about rooms, events or proposals.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import import_module

from django.conf import settings

from realtime.errors import AppError

TOPIC_PATTERN = re.compile(r"\A([a-z]+):([0-9A-Za-z]{1,18})\Z")
NUMERIC_ID = re.compile(r"\A[1-9][0-9]{0,17}\Z")


class TopicKind:
    """Rules for one topic prefix. Methods are sync (they read the database) and run in a thread."""

    prefix: str = ""
    # `state` kind carried by this topic besides events ("tally", "attendance"), if any.
    state_kind: str | None = None
    # Whether the transport tracks who is online (`presence` state).
    has_presence: bool = False

    def parse_id(self, raw: str) -> int | str | None:
        """The object id in a topic name, or None when malformed. Database ids by default;
        a kind keyed otherwise (a commune by its INSEE code) overrides this."""
        return int(raw) if NUMERIC_ID.match(raw) else None

    def authorize_read(self, user, object_id: int) -> None:
        """Raise AppError(not_found | forbidden) when `user` may not follow this topic."""
        raise NotImplementedError

    def state_snapshot(self, object_id: int) -> dict | None:
        """The current `state` data, with a `version` that only grows; None if no state."""
        return None

    def access_follows(self, changed: str) -> list[str]:
        """The topics of this kind whose readers are decided, in part, by `changed`'s readers (the
        proposals of a room, say): re-checked with it when access to `changed` changes. Runs in
        the transaction that changed the access. None by default."""
        return []


@cache
def topic_kinds() -> dict[str, TopicKind]:
    kinds = {}
    for prefix, path in settings.REALTIME_TOPIC_KINDS.items():
        module, _, name = path.partition(":")
        kinds[prefix] = getattr(import_module(module), name)()
    return kinds


def topic_parse(topic: object) -> tuple[TopicKind, int | str]:
    """`room:12` -> (RoomTopic, 12); a malformed or unknown topic is `bad_request` / `not_found`."""
    if not isinstance(topic, str):
        raise AppError("bad_request", "topic must be a string like 'room:12'")
    match = TOPIC_PATTERN.match(topic)
    if not match:
        raise AppError("bad_request", f"malformed topic {topic[:80]!r}; expected '<kind>:<id>'")
    kind = topic_kinds().get(match.group(1))
    if kind is None:
        raise AppError("not_found", f"unknown topic kind {match.group(1)!r}")
    object_id = kind.parse_id(match.group(2))
    if object_id is None:
        raise AppError("bad_request", f"malformed topic {topic[:80]!r}; bad id for a {kind.prefix} topic")
    return kind, object_id


def topic_object_id(topic: str, prefix: str) -> int:
    """The id in `topic`, which must be of kind `prefix` (a command that needs a room topic, say)."""
    kind, object_id = topic_parse(topic)
    if kind.prefix != prefix:
        article = "an" if prefix[0] in "aeiou" else "a"
        raise AppError("bad_request", f"this command needs {article} {prefix} topic")
    return object_id
