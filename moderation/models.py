"""Co-moderation: reports, the cases they open (an item hidden pending a vote), each scope's
policy, a room's trusted members, and the audit log of moderation actions.

A report, a case and an audit entry belong to one *scope*: a room (judged by its moderators and
trusted members) or a commune, for a commune-wide proposal that has no room (judged by the
commune's referents). Exactly one of `room` / `commune` is set (a database constraint).

The reported text itself is never copied here: it stays in its own app (a message, a debate
question), so removing it there removes it everywhere.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

KINDS = [("message", "message"), ("question", "debate question"), ("proposal", "proposal")]


def one_scope(name: str) -> models.CheckConstraint:
    """Exactly one of room / commune."""
    return models.CheckConstraint(
        condition=Q(room__isnull=False, commune__isnull=True) | Q(room__isnull=True, commune__isnull=False),
        name=name,
    )


def _room():
    return models.ForeignKey("discussions.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="+")


def _commune():
    return models.ForeignKey("communes.Commune", null=True, blank=True, on_delete=models.CASCADE, related_name="+")


class Policy(models.Model):
    """How a scope moderates itself: how many distinct reports hide an item, the share of the
    vote that removes it, how long the vote lasts."""

    report_threshold = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    vote_threshold = models.PositiveSmallIntegerField(
        default=75, validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    vote_hours = models.PositiveSmallIntegerField(default=48, validators=[MinValueValidator(1), MaxValueValidator(720)])

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(report_threshold__gte=1, report_threshold__lte=50), name="%(class)s_reports"
            ),
            models.CheckConstraint(condition=Q(vote_threshold__gte=50, vote_threshold__lte=100), name="%(class)s_vote"),
            models.CheckConstraint(condition=Q(vote_hours__gte=1, vote_hours__lte=720), name="%(class)s_hours"),
        ]


# What a scope's moderators (a room's) or referents (a commune's) may set.
POLICY_FIELDS = ("report_threshold", "vote_threshold", "vote_hours")


class RoomPolicy(Policy):
    """A room's policy; a row appears with the defaults on the first report. Reports in a room
    lock this row, so counting and opening a case are serialised per room."""

    room = models.OneToOneField("discussions.Room", primary_key=True, on_delete=models.CASCADE, related_name="+")

    class Meta(Policy.Meta):
        pass

    def __str__(self) -> str:
        return f"moderation policy of {self.room_id}"


class CommunePolicy(Policy):
    """A commune's policy (for its commune-wide proposals), locked as a room's is."""

    commune = models.OneToOneField("communes.Commune", primary_key=True, on_delete=models.CASCADE, related_name="+")

    class Meta(Policy.Meta):
        pass

    def __str__(self) -> str:
        return f"moderation policy of commune {self.commune_id}"


class Trusted(models.Model):
    """A member the room's moderators trust to vote on reported items with them."""

    room = models.ForeignKey("discussions.Room", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="trusted_once")]

    def __str__(self) -> str:
        return f"{self.user_id} trusted in {self.room_id}"


class Report(models.Model):
    kind = models.CharField(max_length=8, choices=KINDS)
    item = models.BigIntegerField()
    room = _room()
    commune = _commune()
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        # The same person reporting twice counts once, whatever races.
        constraints = [
            models.UniqueConstraint(fields=["kind", "item", "reporter"], name="report_once_per_person"),
            one_scope("report_one_scope"),
        ]

    def __str__(self) -> str:
        return f"report of {self.kind} {self.item}"


class Case(models.Model):
    OPEN, KEPT, REMOVED = "open", "kept", "removed"
    STATUSES = [(OPEN, "hidden, vote running"), (KEPT, "kept"), (REMOVED, "removed")]

    kind = models.CharField(max_length=8, choices=KINDS)
    item = models.BigIntegerField()
    room = _room()
    commune = _commune()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposal = models.OneToOneField("proposals.Proposal", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=STATUSES, default=OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "item"], name="case_once_per_item"),
            one_scope("case_one_scope"),
        ]

    def __str__(self) -> str:
        return f"case on {self.kind} {self.item}"


class AuditEntry(models.Model):
    """One moderation action in a scope, for its moderators (actor null: the community's vote)."""

    room = _room()
    commune = _commune()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=8, blank=True)
    item = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=1000, blank=True)
    # The same facts structured, for clients to phrase in their language: {"reports": n} when
    # hidden; {"verdict", "share" (percent or null: no votes), "majority", "reasons"} when decided.
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [one_scope("audit_one_scope")]

    def __str__(self) -> str:
        return f"{self.action} in {self.room_id or self.commune_id}"
