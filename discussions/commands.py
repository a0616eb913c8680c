"""Socket commands on room topics: validated frames -> the same services the HTTP API calls."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from discussions import members, reactions, services
from realtime.errors import AppError
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id


class Post(WriteCommand):
    body: Annotated[StrictStr, Field(min_length=1, max_length=4000)]
    reply_to: StrictInt | None = None


class Edit(WriteCommand):
    message: StrictInt
    body: Annotated[StrictStr, Field(min_length=1, max_length=4000)]


class Delete(WriteCommand):
    message: StrictInt


def post(*, user, command: Post) -> dict:
    return services.message_post(
        author=user,
        room_id=topic_object_id(command.topic, "room"),
        body=command.body,
        reply_to=command.reply_to,
        ref=command.ref,
    )


def edit(*, user, command: Edit) -> dict:
    return services.message_edit(
        user=user,
        room_id=topic_object_id(command.topic, "room"),
        message_id=command.message,
        body=command.body,
        ref=command.ref,
    )


def delete(*, user, command: Delete) -> dict:
    return services.message_delete(
        user=user, room_id=topic_object_id(command.topic, "room"), message_id=command.message, ref=command.ref
    )


class Invite(WriteCommand):
    username: Annotated[StrictStr, Field(min_length=1, max_length=150)]
    role: Literal["member", "moderator"] = "member"


class Member(WriteCommand):
    username: Annotated[StrictStr, Field(min_length=1, max_length=150)]


class Role(Member):
    role: Literal["member", "moderator"]


class React(WriteCommand):
    message: StrictInt
    emoji: Annotated[StrictStr, Field(min_length=1, max_length=8)]
    on: StrictBool = True


class Read(WriteCommand):
    seq: Annotated[StrictInt, Field(ge=0)]


class Answer(WriteCommand):
    """Sent on one's own `user:<id>` topic, where the invitation arrived."""

    invitation: StrictInt
    accept: StrictBool


def _room(command) -> int:
    return topic_object_id(command.topic, "room")


def invite(*, user, command: Invite) -> dict:
    return members.room_invite(
        by=user, room_id=_room(command), username=command.username, role=command.role, ref=command.ref
    )


def leave(*, user, command: WriteCommand) -> dict:
    return members.room_leave(user=user, room_id=_room(command), ref=command.ref)


def remove(*, user, command: Member) -> dict:
    return members.member_remove(by=user, room_id=_room(command), username=command.username, ref=command.ref)


def role(*, user, command: Role) -> dict:
    return members.member_role_set(
        by=user, room_id=_room(command), username=command.username, role=command.role, ref=command.ref
    )


def transfer(*, user, command: Member) -> dict:
    return members.owner_transfer(by=user, room_id=_room(command), username=command.username, ref=command.ref)


def react(*, user, command: React) -> dict:
    return reactions.reaction_set(
        user=user,
        room_id=_room(command),
        message_id=command.message,
        emoji=command.emoji,
        on=command.on,
        ref=command.ref,
    )


def read(*, user, command: Read) -> dict:
    return reactions.read_marker_set(user=user, room_id=_room(command), seq=command.seq)


def answer(*, user, command: Answer) -> dict:
    if topic_object_id(command.topic, "user") != user.pk:
        raise AppError("forbidden", "answer invitations on your own topic")
    return members.invitation_answer(
        user=user, invitation_id=command.invitation, accept=command.accept, ref=command.ref
    )


COMMANDS = {
    "invitation_answer": (Answer, answer),
    "post": (Post, post),
    "edit": (Edit, edit),
    "delete": (Delete, delete),
    "invite": (Invite, invite),
    "leave": (WriteCommand, leave),
    "member_remove": (Member, remove),
    "member_role": (Role, role),
    "owner_transfer": (Member, transfer),
    "react": (React, react),
    "read": (Read, read),
}
