"""`communemod:<insee>`: the live topic of a commune's moderation (its referents judge reports of
its commune-wide proposals): `case.opened`, `case.decided`, `audit.added`. Read by the commune's
referents and staff, re-checked on every subscribe and, live, when someone stops being a
referent (`referent_removed`)."""

from __future__ import annotations

from communes.topics import INSEE
from moderation.selectors import commune_for_judges
from realtime.access import topic_access_changed
from realtime.topics import TopicKind


class CommuneModerationTopic(TopicKind):
    prefix = "communemod"

    def parse_id(self, raw: str) -> str | None:
        return raw if INSEE.match(raw) else None

    def authorize_read(self, user, object_id: str) -> None:
        commune_for_judges(insee=object_id, user=user)


def referent_removed(*, instance, **_) -> None:
    """`post_delete` of communes.Referent (the admin, an erased account): every process re-checks
    who follows the commune's moderation topic once the removal commits."""
    topic_access_changed(f"communemod:{instance.commune_id}")  # on commit (at once outside one)
