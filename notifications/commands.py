"""Socket commands on the personal topic: mark notifications read."""

from __future__ import annotations

from pydantic import StrictInt

from notifications import services
from realtime.errors import AppError
from realtime.schemas import WriteCommand
from realtime.topics import topic_object_id


class Read(WriteCommand):
    notification: StrictInt | None = None


def read(*, user, command: Read) -> dict:
    # The topic names whose notifications: one's own only.
    if topic_object_id(command.topic, "user") != user.pk:
        raise AppError("forbidden", "a personal topic is readable by its owner only")
    return services.notification_read(user=user, notification_id=command.notification, ref=command.ref)


COMMANDS = {"notification_read": (Read, read)}
