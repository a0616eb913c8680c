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

    def authorize_read_many(self, users: list, object_id: int) -> list[AppError | None]:
        """`authorize_read` for many readers of one topic at once (a reconnect storm): None for
        each who may follow it, else their error. A kind whose topics gather crowds overrides it
        with a few queries for all of them."""
        answers: list[AppError | None] = []
        for user in users:
            try:
                self.authorize_read(user, object_id)
                answers.append(None)
            except AppError as exc:
                answers.append(exc)
        return answers

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


def topics_readers_check(asked: dict) -> dict:
    """{(topic, user id): error or None} for {(topic, user id): user}: the readers of each topic
    checked together (`TopicKind.authorize_read_many`). A reader is None when not signed in."""
    by_topic: dict[str, list] = {}
    for key in asked:
        by_topic.setdefault(key[0], []).append(key)
    answers: dict = {}
    for topic, keys in by_topic.items():
        kind, object_id = topic_parse(topic)
        for key, answer in zip(keys, kind.authorize_read_many([asked[k] for k in keys], object_id), strict=True):
            answers[key] = answer
    return answers


def topic_object_id(topic: str, prefix: str) -> int:
    """The id in `topic`, which must be of kind `prefix` (a command that needs a room topic, say)."""
    kind, object_id = topic_parse(topic)
    if kind.prefix != prefix:
        article = "an" if prefix[0] in "aeiou" else "a"
        raise AppError("bad_request", f"this command needs {article} {prefix} topic")
    return object_id
