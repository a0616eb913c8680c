from discussions.selectors import room_get_readable
from realtime.topics import TopicKind


class RoomTopic(TopicKind):
    prefix = "room"
    has_presence = True

    def authorize_read(self, user, object_id: int) -> None:
        room_get_readable(room_id=object_id, user=user)
