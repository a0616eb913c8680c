"""Socket commands on room topics: validated frames -> the same services the HTTP API calls."""

from __future__ import annotations

from discussions import services
from discussions.inputs import MessageDeleteIn, MessageEditIn, MessageIn
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


COMMANDS = {"post": (Post, post), "edit": (Edit, edit), "delete": (Delete, delete)}
