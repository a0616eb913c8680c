from django.conf import settings
from django.db import models

# Every kind a person can be notified of; preferences are kept per kind and per channel.
KINDS = [
    "mention",
    "reply",
    "waitlist_promoted",
    "event_updated",
    "event_cancelled",
    "event_starting",
    "room_invitation",
    "event_invitation",
    "proposal_opened",
    "proposal_closing",
    "proposal_result",
    "moderation",
    "action_assigned",
    "action_updated",
]
# Sent at once by e-mail (the rest waits for the person's digest).
IMMEDIATE_KINDS = {"room_invitation", "event_invitation"}


class Notification(models.Model):
    """One thing that concerns one person. `seq` is its event's seq in the person's `user:<id>` topic."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    # The topic it is about (`room:12`): muting it silences it, and readability is re-checked on it.
    subject = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)
    seq = models.BigIntegerField(null=True)
    in_app = models.BooleanField(default=True)
    # none | immediate | digest; emailed_at is set once it went out.
    email = models.CharField(max_length=10, default="none")
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(fields=["email", "emailed_at"], name="notification_email_due"),
            # notifications_about_redact finds a hidden proposal's notices by subject, by index.
            models.Index(fields=["subject"], name="notification_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class Preferences(models.Model):
    """A person's notification settings; absent means the defaults."""

    DIGEST_CHOICES = [("hourly", "hourly"), ("daily", "daily"), ("off", "off")]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_preferences"
    )
    language = models.CharField(max_length=2, default="fr")
    digest = models.CharField(max_length=6, choices=DIGEST_CHOICES, default="daily")
    # Kinds switched off per channel (defaults: everything on).
    app_off = models.JSONField(default=list)
    email_off = models.JSONField(default=list)
    # Muted subjects (`room:12`, `event:3`): nothing about them, in either channel.
    muted = models.JSONField(default=list)
    # Grows on every change of the unread count: the `unread` state's version.
    unread_version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class DeliveryJob(models.Model):
    """Notifications to create, written in the writer's transaction and delivered after it (outbox)."""

    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=64, blank=True)
    recipients = models.JSONField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} to {len(self.recipients)}"


class DigestSent(models.Model):
    """One digest per person per period, claimed before sending so two schedulers never both send."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=32)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="digest_once_per_period")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period}"


class Once(models.Model):
    """Keys of notifications that go out once ever (`event_starting:12`, `proposal_closing:7`)."""

    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
