"""Where a reported item is judged: a *scope*, a room or a commune. One set of moderation code
(reports, cases, votes, audit) works on both through this small value.

- A room's scope judges its messages, debate questions and proposals (and its events'
  proposals): its owners, moderators and trusted members vote; its moderators' topic is
  `moderation:<room>`.
- A commune's scope judges the commune-wide proposals (no room, no event): the commune's
  referents vote (staff grant the role; they already verify residents at the town-hall desk);
  its topic is `communemod:<insee>`, re-checked live when someone stops being a referent.

A scope with nobody to judge (a commune without referents) records reports but hides nothing:
hiding an item nobody can vote on would remove it without a decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from communes.models import Commune, Referent
from discussions.models import Room
from discussions.selectors import room_moderated_by, room_moderators
from moderation.models import CommunePolicy, Policy, RoomPolicy, Trusted
from realtime.auth import signed_in


@dataclass(frozen=True)
class Scope:
    room_id: int | None = None
    commune_id: str | None = None

    @classmethod
    def of(cls, row) -> Scope:
        """The scope of a Report, Case or AuditEntry row."""
        return cls(room_id=row.room_id, commune_id=row.commune_id)

    @property
    def is_commune(self) -> bool:
        return self.room_id is None

    @property
    def fields(self) -> dict:
        """The scope's columns, to filter or create rows with."""
        return {"room_id": self.room_id} if self.room_id is not None else {"commune_id": self.commune_id}

    @property
    def topic(self) -> str:
        """The judges' live topic (case.opened / case.decided)."""
        return f"moderation:{self.room_id}" if self.room_id is not None else f"communemod:{self.commune_id}"

    @property
    def url(self) -> str:
        return (
            f"/#/moderation/{self.room_id}" if self.room_id is not None else f"/#/moderation/commune/{self.commune_id}"
        )

    def name(self) -> str:
        if self.room_id is not None:
            return Room.objects.values_list("name", flat=True).get(id=self.room_id)
        return Commune.objects.values_list("name", flat=True).get(insee=self.commune_id)

    @property
    def policy_model(self) -> type[Policy]:
        return RoomPolicy if self.room_id is not None else CommunePolicy

    def policy_locked(self) -> Policy:
        """The scope's policy row, locked: reports of one scope queue there, so the count that
        opens a case is exact and a case opens once."""
        self.policy_model.objects.get_or_create(**self.fields)
        return self.policy_model.objects.select_for_update().get(**self.fields)

    def policy(self) -> Policy:
        return self.policy_model.objects.filter(**self.fields).first() or self.policy_model(**self.fields)

    def judges(self) -> list:
        """Everyone who votes on the scope's reports (active accounts)."""
        if self.room_id is not None:
            people = {user.id: user for user in room_moderators(self.room_id)}
            for trusted in Trusted.objects.filter(room_id=self.room_id).select_related("user"):
                people[trusted.user_id] = trusted.user
        else:
            referents = Referent.objects.filter(commune_id=self.commune_id).select_related("user")
            people = {referent.user_id: referent.user for referent in referents}
        return [user for user in people.values() if user.is_active]

    def electors(self, author) -> list:
        """The judges but the item's author: nobody judges their own words."""
        return [user for user in self.judges() if author is None or user.id != author.id]

    def moderated_by(self, user) -> bool:
        """Whether `user` steers the scope's moderation (closes votes, reads the audit log)."""
        if not signed_in(user):
            return False
        if user.is_staff:
            return True
        if self.room_id is not None:
            return room_moderated_by(room=Room.objects.get(id=self.room_id), user=user)
        return Referent.objects.filter(commune_id=self.commune_id, user=user).exists()

    def judged_by(self, user) -> bool:
        """Whether `user` votes on the scope's reports (so reads its queue)."""
        if self.moderated_by(user):
            return True
        return (
            self.room_id is not None
            and signed_in(user)
            and Trusted.objects.filter(room_id=self.room_id, user=user).exists()
        )
