"""What a closed proposal leads to: its outcome statement and the actions people take on.

An action's `version` moves in the same locked transaction as any change to it (status,
title, due date, assignees), so a client keeps the newest copy of each action by version
whichever topic (proposal, room, commune) it came from.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Outcome(models.Model):
    """The statement that says what a resolved proposal decided (one per proposal, rewritable)."""

    proposal = models.OneToOneField("proposals.Proposal", primary_key=True, on_delete=models.CASCADE, related_name="+")
    statement = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    stated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"outcome of {self.proposal_id}"


class Action(models.Model):
    TODO, DOING, DONE = "todo", "doing", "done"
    STATUSES = [(TODO, "to do"), (DOING, "doing"), (DONE, "done")]

    proposal = models.ForeignKey("proposals.Proposal", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=5, choices=STATUSES, default=TODO)
    due = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["proposal", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["todo", "doing", "done"]), name="action_status_known"),
        ]

    def __str__(self) -> str:
        return self.title


class Assignee(models.Model):
    """Who takes an action on: named by whoever made it, or a volunteer."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="assignees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    volunteered = models.BooleanField(default=False)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "since", "id"]
        constraints = [models.UniqueConstraint(fields=["action", "user"], name="assignee_once")]

    def __str__(self) -> str:
        return f"{self.user_id} on action {self.action_id}"
