from discussions.selectors import reactions_snapshot, room_get_readable, room_readers_check
from realtime.errors import AppError
from realtime.topics import TopicKind


class RoomTopic(TopicKind):
    """`room:<id>`: sequenced messages and membership events; `presence`; the `reactions` state."""

    prefix = "room"
    state_kind = "reactions"
    has_presence = True

    def authorize_read(self, user, object_id: int) -> None:
        room_get_readable(room_id=object_id, user=user)

    def authorize_read_many(self, users: list, object_id: int) -> list[AppError | None]:
        return room_readers_check(room_id=object_id, users=users)

    def state_snapshot(self, object_id: int) -> dict | None:
        return reactions_snapshot(object_id)
