from realtime.errors import AppError
from realtime.topics import TopicKind


class EventTopic(TopicKind):
    prefix = "event"
    state_kind = "attendance"

    def authorize_read(self, user, object_id: int) -> None:
        raise AppError("not_found", f"event {object_id} does not exist")
