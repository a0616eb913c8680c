"""What a client may send to write in rooms: one model per write, shared by the socket
commands (`commands.py`) and the HTTP API (`api.py`). Types and limits live here only."""

from __future__ import annotations

from typing import Literal

from pydantic import StrictInt, StrictStr

from accounts.tags import Tags
from realtime.schemas import WriteInput, optional_text, text

# The longest message body (PROTOCOL.md §2: 1–4000 characters) or room description.
TEXT_MAX = 4000
NAME_MAX = 120
MessageBody = text(TEXT_MAX, strip=False)


class RoomIn(WriteInput):
    name: text(NAME_MAX)
    visibility: Literal["public", "private"] = "public"
    commune: StrictStr | None = None
    description: optional_text(TEXT_MAX) = ""
    tags: Tags = []


class MessageIn(WriteInput):
    body: MessageBody
    reply_to: StrictInt | None = None


class MessageEditIn(WriteInput):
    message: StrictInt
    body: MessageBody


class MessageDeleteIn(WriteInput):
    message: StrictInt
