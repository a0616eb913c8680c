"""The commune's news, `commune:<insee>`: the owning apps' services append to it, in their own
transaction, when something public happens in a commune (a room, an event or a proposal is
created, a vote closes). Only public things are announced: the topic is readable by anyone."""

from __future__ import annotations

from realtime.sequencing import topic_event_append

PREFIX = "commune"


def commune_topic(insee: str) -> str:
    return f"{PREFIX}:{insee}"


def commune_news_append(*, insee: str | None, kind: str, data: dict) -> None:
    """Append `kind` to the commune's topic (published on commit); nothing without a commune."""
    if insee:
        topic_event_append(topic=commune_topic(insee), kind=kind, data=data)
