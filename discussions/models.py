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
    # Grows with every reaction added or taken back in the room: the `reactions` state's version.
    reactions_version = models.BigIntegerField(default=0)

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
    # The room's `reactions_version` when this message's reactions last changed (0: never), so
    # the `reactions` state carries the messages whose counts moved most recently.
    reactions_version = models.BigIntegerField(default=0)
    # Hidden pending a moderation vote (co-moderation): its text is kept here but served to nobody.
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="message_unique_seq")]
        indexes = [models.Index(fields=["room", "reactions_version"], name="message_reactions_changed")]
        ordering = ["room", "seq"]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"


class Invitation(models.Model):
    """An invitation into a private room, answered by the invitee only."""

    PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=10, default=Membership.MEMBER)
    status = models.CharField(max_length=10, default=PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user"], condition=models.Q(status="pending"), name="invitation_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} to {self.room_id} ({self.status})"


class Reaction(models.Model):
    """One person's emoji on a message; one per person per emoji."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_unique")]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class ReadMarker(models.Model):
    """How far a person has read a room: the seq of the last message they saw."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="read_marker_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.room_id} to {self.seq}"


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
