from notifications.selectors import unread_snapshot
from realtime.errors import AppError
from realtime.topics import TopicKind


class UserTopic(TopicKind):
    """`user:<id>`: the person's own notifications (sequenced) and `unread` state; nobody else's."""

    prefix = "user"
    state_kind = "unread"

    def authorize_read(self, user, object_id: int) -> None:
        if user is None or not user.is_authenticated:
            raise AppError("auth_required", "sign in to follow your notifications")
        if user.pk != object_id:
            raise AppError("forbidden", "a personal topic is readable by its owner only")

    def state_snapshot(self, object_id: int) -> dict | None:
        return unread_snapshot(object_id)
