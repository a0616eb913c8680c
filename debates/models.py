"""Debate mode of a room: questions with upvotes, and the floor (hands raised, turns).

Every write of a room's debate locks its `Debate` row first (select_for_update), so the
counts, the hand arrival numbers and the two versions move together under one lock: one read
of the row then of the questions (or hands) gives a snapshot at least as new as its version.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Debate(models.Model):
    ARRIVAL, NOT_SPOKEN, LEAST_TIME = "arrival", "not_spoken", "least_time"
    FAIRNESS = [(ARRIVAL, "arrival order"), (NOT_SPOKEN, "not spoken yet first"), (LEAST_TIME, "least speaking time")]

    room = models.OneToOneField("discussions.Room", on_delete=models.CASCADE, related_name="debate")
    premoderation = models.BooleanField(default=False, help_text="questions appear only once approved")
    turn_limit = models.PositiveIntegerField(null=True, blank=True, help_text="seconds per turn; empty: no limit")
    auto_end = models.BooleanField(default=False, help_text="a turn ends itself at its limit")
    fairness = models.CharField(max_length=12, choices=FAIRNESS, default=ARRIVAL)
    # The quick vote shown on the big screen (a proposal of this room or of its event).
    current_vote = models.ForeignKey(
        "proposals.Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    questions_version = models.BigIntegerField(default=1)
    queue_version = models.BigIntegerField(default=1)
    # Last arrival number handed to a raised hand: the queue's strict order.
    arrivals = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"debate of room {self.room_id}"


class Question(models.Model):
    PENDING, VISIBLE, HIDDEN, MERGED = "pending", "visible", "hidden", "merged"
    STATUSES = [(PENDING, "awaiting approval"), (VISIBLE, "visible"), (HIDDEN, "hidden"), (MERGED, "merged")]

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.CharField(max_length=500)
    anonymous = models.BooleanField(default=False, help_text="shown as anonymous to participants, not to moderators")
    status = models.CharField(max_length=8, choices=STATUSES, default=VISIBLE)
    hidden_reason = models.CharField(max_length=300, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pinned = models.BooleanField(default=False)
    answered = models.BooleanField(default=False)
    upvotes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-pinned", "-upvotes", "created_at", "id"]
        indexes = [models.Index(fields=["debate", "status"], name="question_debate_status")]

    def __str__(self) -> str:
        return f"question {self.id} of {self.debate_id}"


class Upvote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="upvote_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="upvote_one_per_person")]

    def __str__(self) -> str:
        return f"upvote of {self.user_id} on {self.question_id}"


class Hand(models.Model):
    """A raised hand, waiting for the floor; deleted when lowered or given the floor."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="hands")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    arrival = models.BigIntegerField()
    raised_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["debate", "user"], name="hand_one_per_person"),
            models.UniqueConstraint(fields=["debate", "arrival"], name="hand_unique_arrival"),
        ]

    def __str__(self) -> str:
        return f"hand of {self.user_id} in {self.debate_id}"


class Turn(models.Model):
    """One person's time at the floor. At most one open turn per debate (a constraint)."""

    MODERATOR, LIMIT = "moderator", "limit"

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="turns")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text="started_at + the limit; empty: no limit")
    auto_end = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=10, blank=True)
    # Kept at the end so speaking time is a plain sum on every database.
    seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["debate"], condition=Q(ended_at=None), name="turn_one_open_per_debate")
        ]
        indexes = [models.Index(fields=["auto_end", "ended_at", "ends_at"], name="turn_due")]

    def __str__(self) -> str:
        return f"turn of {self.user_id} in {self.debate_id}"
