"""Organisations as actors of a commune: associations, NGOs, businesses, informal groups and
public institutions (the town hall). Members hold a role; admins act for the organisation."""

from django.conf import settings
from django.db import models

# Communecter's kinds of organisation.
KINDS = ["association", "ngo", "business", "group", "public"]


class Organisation(models.Model):
    kind = models.CharField(max_length=12, choices=[(k, k) for k in KINDS])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    commune = models.ForeignKey("communes.Commune", on_delete=models.PROTECT, related_name="organisations")
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    links = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # " jardin compost " so a tag filter is one LIKE on every database (JSON containment is not on SQLite).
    tags_text = models.CharField(max_length=600, blank=True, editable=False)
    # Joining waits for an admin's approval unless this is off.
    join_approval = models.BooleanField(default=True)
    # The organisation's own discussion room: its admins moderate it, its proposals open there.
    room = models.OneToOneField(
        "discussions.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="organisation"
    )
    image = models.BinaryField(null=True, blank=True, editable=False)
    image_type = models.CharField(max_length=32, blank=True)
    image_version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def save(self, *args, **kwargs):
        self.tags_text = f" {' '.join(self.tags)} " if self.tags else ""
        if kwargs.get("update_fields") is not None and "tags" in kwargs["update_fields"]:
            kwargs["update_fields"] = [*kwargs["update_fields"], "tags_text"]
        super().save(*args, **kwargs)

    @property
    def topic(self) -> str:
        return f"organisation:{self.id}"

    @property
    def admin_topic(self) -> str:
        return f"orgadmin:{self.id}"

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    ADMIN, MEMBER = "admin", "member"
    ACTIVE, PENDING = "active", "pending"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_members")
    role = models.CharField(max_length=8, choices=[(ADMIN, ADMIN), (MEMBER, MEMBER)], default=MEMBER)
    status = models.CharField(max_length=8, choices=[(ACTIVE, ACTIVE), (PENDING, PENDING)], default=ACTIVE)
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="organisation_member_once"),
            models.CheckConstraint(
                condition=~models.Q(role="admin", status="pending"), name="organisation_admin_active"
            ),
        ]
        ordering = ["organisation", "requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} ({self.status}) of {self.organisation_id}"


class Follower(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisations_followed")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="organisation_follow_once")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.organisation_id}"


class Item(models.Model):
    """A room, event or proposal the organisation owns (made by one of its admins for it)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="items")
    room = models.OneToOneField("discussions.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.OneToOneField("events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    proposal = models.OneToOneField(
        "proposals.Proposal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(room__isnull=False, event__isnull=True, proposal__isnull=True)
                    | models.Q(room__isnull=True, event__isnull=False, proposal__isnull=True)
                    | models.Q(room__isnull=True, event__isnull=True, proposal__isnull=False)
                ),
                name="organisation_item_one_thing",
            )
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.organisation_id} owns room {self.room_id} / event {self.event_id} / proposal {self.proposal_id}"
