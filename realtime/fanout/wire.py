"""The Redis wire format, encoded and decoded here only: channel and key names, payloads.

A topic's channel `<prefix>:<topic>` carries payloads of a one-letter tag, then fields
separated by "|", the frame text last:

    E<seq>|<frame>              a committed event
    S<kind>|<version>|<frame>   a state snapshot
    T<origin socket>|<frame>    a typing frame
    P<version>                  a process changed its share of the presence hash
    A                           who may read the topic changed: re-check live subscriptions

Presence is a hash `<prefix>:presence:<topic>` with one field per process (its users and when
it last wrote), and a counter `<prefix>:presence:<topic>:version`.

A key `<prefix>:statecompute:<topic>`, set only if absent and living one state interval, names
the process computing the topic's snapshot in that interval (its value: that process's id).
"""

from __future__ import annotations

import uuid

from django.conf import settings

from realtime.fanout.items import AccessChanged, EventArrived, PresenceAnnounced, StateArrived, TypingArrived
from realtime.frames import dumps, loads

# Names this process on the wire (its control channel, its share of presence hashes, its sockets).
PROCESS_ID = uuid.uuid4().hex[:12]


def redis_prefix() -> str:
    return getattr(settings, "REDIS_PREFIX", "cl")


def redis_channel(topic: str) -> str:
    return f"{redis_prefix()}:{topic}"


def control_channel() -> str:
    """A private channel that keeps the connection subscribed even when no topic is served."""
    return f"{redis_prefix()}:hub:{PROCESS_ID}"


def channel_topic(channel_name: bytes | str) -> str:
    name = channel_name.decode() if isinstance(channel_name, bytes) else channel_name
    return name[len(redis_prefix()) + 1 :]


def presence_key(topic: str) -> str:
    return f"{redis_prefix()}:presence:{topic}"


def state_claim_key(topic: str) -> str:
    return f"{redis_prefix()}:statecompute:{topic}"


def presence_version_key(topic: str) -> str:
    return f"{presence_key(topic)}:version"


def event_payload(seq: int, frame: str) -> str:
    return f"E{seq}|{frame}"


def state_payload(kind: str, version: int, frame: str) -> str:
    return f"S{kind}|{version}|{frame}"


def typing_payload(origin: str, frame: str) -> str:
    return f"T{origin}|{frame}"


def presence_payload(version: int) -> str:
    return f"P{version}"


def access_payload() -> str:
    return "A"


def payload_decode(
    topic: str, payload: bytes
) -> EventArrived | StateArrived | TypingArrived | PresenceAnnounced | AccessChanged | None:
    """The inbound item a payload of `topic`'s channel stands for; None for an unknown tag."""
    tag, body = payload[:1], payload[1:]
    if tag == b"E":
        seq, _, text = body.partition(b"|")
        return EventArrived(topic, int(seq), text.decode())
    if tag == b"S":
        kind, _, rest = body.partition(b"|")
        version, _, text = rest.partition(b"|")
        return StateArrived(topic, kind.decode(), int(version), text.decode())
    if tag == b"T":
        origin, _, text = body.partition(b"|")
        if origin.decode().startswith(PROCESS_ID + ":"):
            return None  # this process delivered its own typing frame locally already
        return TypingArrived(topic, origin.decode(), text.decode())
    if tag == b"P":
        return PresenceAnnounced(topic, int(body))
    if tag == b"A":
        return AccessChanged(topic)
    return None


def presence_share_encode(users: list[str], at: float) -> str:
    return dumps({"users": users, "at": at})


def presence_share_decode(raw: bytes | str) -> tuple[list[str], float]:
    """(users, written at) of one process's share."""
    share = loads(raw)
    return share["users"], share["at"]
