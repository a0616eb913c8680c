"""Socket commands on room topics: validated frames -> the same services the HTTP API calls."""

from __future__ import annotations

from discussions import members, reactions, services
from discussions.inputs import (
    InvitationAnswerIn,
    InviteIn,
    MemberIn,
    MemberRoleIn,
    MessageDeleteIn,
    MessageEditIn,
    MessageIn,
    ReactIn,
    ReadIn,
)
from realtime.errors import AppError
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id


class Post(WriteCommand, MessageIn):
    pass


class Edit(WriteCommand, MessageEditIn):
    pass


class Delete(WriteCommand, MessageDeleteIn):
    pass


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


class Invite(WriteCommand, InviteIn):
    pass


class Member(WriteCommand, MemberIn):
    pass


class Role(WriteCommand, MemberRoleIn):
    pass


class React(WriteCommand, ReactIn):
    pass


class Read(WriteCommand, ReadIn):
    pass


class Answer(WriteCommand, InvitationAnswerIn):
    """Sent on one's own `user:<id>` topic, where the invitation arrived."""


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
    return reactions.read_marker_set(user=user, room_id=_room(command), seq=command.seq, ref=command.ref)


def answer(*, user, command: Answer) -> dict:
    if topic_object_id(command.topic, "user") != user.pk:
        raise AppError("forbidden", "answer invitations on your own topic")
    return members.invitation_answer(
        user=user, invitation_id=command.invitation, accept=command.accept, ref=command.ref
    )


COMMANDS = {
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
    "invitation_answer": (Answer, answer),
}
