from events.selectors import attendance_snapshot, event_get_visible
from realtime.topics import TopicKind


class EventTopic(TopicKind):
    """`event:<id>`: sequenced `event.updated`, `event.cancelled`, `rsvp.promoted`; `attendance` state."""

    prefix = "event"
    state_kind = "attendance"

    def authorize_read(self, user, object_id: int) -> None:
        event_get_visible(event_id=object_id, user=user)

    def state_snapshot(self, object_id: int) -> dict | None:
        return attendance_snapshot(object_id)
