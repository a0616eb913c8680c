"""Three topics per room in debate mode, one per audience and state kind:

- `debate:<room>`: questions for everyone who may read the room (`questions` state, visible
  questions only, anonymous authors removed) and `vote.opened`;
- `moderation:<room>`: the same questions as moderators see them (pending and hidden ones,
  every author), readable by moderators only — re-checked on every subscribe;
- `floor:<room>`: the speaker queue (`queue` state) and floor events.
"""

from debates.selectors import moderator_required, questions_moderation, questions_public, queue_snapshot
from discussions.selectors import room_get_readable
from realtime.topics import TopicKind


class _RoomDerived(TopicKind):
    """A debate topic is keyed by its room and read by (some of) the room's readers: it is
    re-checked whenever access to the room changes (a room turns private, a member is removed,
    a moderator loses the role)."""

    def access_follows(self, changed: str) -> list[str]:
        prefix, _, raw = changed.partition(":")
        return [f"{self.prefix}:{raw}"] if prefix == "room" and raw.isdigit() else []


class DebateTopic(_RoomDerived):
    prefix = "debate"
    state_kind = "questions"

    def authorize_read(self, user, object_id: int) -> None:
        room_get_readable(room_id=object_id, user=user)

    def state_snapshot(self, object_id: int) -> dict | None:
        return questions_public(object_id)


class ModerationTopic(_RoomDerived):
    prefix = "moderation"
    state_kind = "questions"

    def authorize_read(self, user, object_id: int) -> None:
        room = room_get_readable(room_id=object_id, user=user)
        moderator_required(room=room, user=user)

    def state_snapshot(self, object_id: int) -> dict | None:
        return questions_moderation(object_id)


class FloorTopic(_RoomDerived):
    prefix = "floor"
    state_kind = "queue"

    def authorize_read(self, user, object_id: int) -> None:
        room_get_readable(room_id=object_id, user=user)

    def state_snapshot(self, object_id: int) -> dict | None:
        return queue_snapshot(object_id)
