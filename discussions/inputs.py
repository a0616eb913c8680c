"""What a client may send to write in rooms: one model per write, shared by the socket
commands (`commands.py`) and the HTTP API (`api.py`). Types and limits live here only."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

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


Username = text(150)
Role = Literal["member", "moderator"]


class InviteIn(WriteInput):
    username: Username
    role: Role = "member"


class MemberIn(WriteInput):
    username: Username


class RoleIn(WriteInput):
    role: Role


class MemberRoleIn(MemberIn, RoleIn):
    pass


class ReactionIn(WriteInput):
    # The fixed set is a domain rule (discussions.reactions.EMOJI), answered with its list.
    emoji: text(8)
    on: StrictBool = True


class ReactIn(ReactionIn):
    message: StrictInt


class ReadIn(WriteInput):
    seq: Annotated[StrictInt, Field(ge=0)]


class InvitationAnswerIn(WriteInput):
    invitation: StrictInt
    accept: StrictBool
