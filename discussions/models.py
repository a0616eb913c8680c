from django.conf import settings
from django.db import models


class Room(models.Model):
    PUBLIC, PRIVATE = "public", "private"

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=8, choices=[(PUBLIC, "public"), (PRIVATE, "private")], default=PUBLIC)
    commune = models.ForeignKey(
        "communes.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="rooms"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    tags = models.JSONField(default=list, blank=True)
    # Members' votes: by default the electorate is the members at the vote's opening; when set,
    # whoever is a member when they vote may vote (the room accepts late joiners).
    members_vote_live = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]

    @property
    def topic(self) -> str:
        return f"room:{self.id}"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    OWNER, MODERATOR, MEMBER = "owner", "moderator", "member"
    ROLES = [(OWNER, "owner"), (MODERATOR, "moderator"), (MEMBER, "member")]

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ROLES, default=MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.room_id}"


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    # The seq of its `message.posted` event in the room's topic: history pages by it.
    seq = models.BigIntegerField()
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Hidden pending a moderation vote (co-moderation): its text is kept here but served to nobody.
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="message_unique_seq")]
        ordering = ["room", "seq"]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"


class RoomSanction(models.Model):
    """A person muted (reads, may not write) or banned (may not read) in one room, by its moderators."""

    MUTE, BAN = "mute", "ban"
    KINDS = [(MUTE, "muted"), (BAN, "banned")]

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="sanctions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=KINDS)
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user", "kind"], name="sanction_once"),
            models.CheckConstraint(condition=models.Q(kind__in=["mute", "ban"]), name="sanction_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} in {self.room_id}"
