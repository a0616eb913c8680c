from django.conf import settings
from django.db import models


class Topic(models.Model):
    """One live stream (`room:12`). `head` is the seq of its last committed event."""

    name = models.CharField(max_length=64, primary_key=True)
    head = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.head}"


class TopicEvent(models.Model):
    """A sequenced, persisted event: the source of truth for replay and for fan-out repair."""

    topic = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=64)
    data = models.JSONField()
    at = models.DateTimeField()
    # The object the event is about when it lives on another topic (`proposal:12` for a
    # proposal's news on its commune's topic, an action on a room's, a notice on a person's),
    # computed at append time by settings.REALTIME_EVENT_ABOUT; null for most events. Indexed
    # (only where set), so taking an object's text back out is a lookup, not a table scan.
    about = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (null: partial index, usable by `=`)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "seq"], name="topic_event_unique_seq")]
        indexes = [models.Index(fields=["about"], name="topic_event_about", condition=models.Q(about__isnull=False))]
        ordering = ["topic", "seq"]

    def __str__(self) -> str:
        return f"{self.topic}#{self.seq} {self.kind}"


class WriteReceipt(models.Model):
    """The result of a write, kept 24 h under its client `ref` so a resent write is not applied twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ref = models.CharField(max_length=64)
    action = models.CharField(max_length=32)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ref"], name="write_receipt_unique_ref")]

    def __str__(self) -> str:
        return f"{self.action} {self.ref}"
