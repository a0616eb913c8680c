import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A resident. `home_commune` makes them a local citizen for commune-scoped votes."""

    home_commune = models.ForeignKey(
        "communes.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="residents"
    )


class Token(models.Model):
    """An API token. Only its SHA-256 is stored. It expires when unused for TOKEN_IDLE_DAYS
    (each use slides `last_used_at`) or TOKEN_MAX_AGE_DAYS after issue, and when revoked."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What issued it ("sign-in", "registration", "password change") and the client's User-Agent.
    label = models.CharField(max_length=120, blank=True)
    # The browser session opened by the same sign-in: revoking the token ends it too, so that
    # "revoke" in the account page signs that browser out whichever credential it uses.
    session_key = models.CharField(max_length=40, blank=True)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    def __str__(self) -> str:
        return f"token of {self.user_id}"


class BrowserSession(AbstractBaseSession):
    """A browser's session (SESSION_ENGINE `accounts.sessions`): Django's session row, plus whose it
    is and what signed it in, so that its owner lists and ends each one (`#/account`). Filled from
    the session's data each time it is saved (accounts.sessions.SessionStore)."""

    # No database constraint: a session may outlive its user's row for a moment (the row is
    # transient; the ORM cascade still removes a deleted user's sessions).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="browser_sessions",
    )
    user_agent = models.CharField(max_length=200, blank=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def public_id(session_key: str) -> str:
        """What the owner's list and `DELETE /api/auth/sessions/{id}` name a session by (never its key)."""
        return hashlib.sha256(b"listed:" + session_key.encode()).hexdigest()[:32]

    def __str__(self) -> str:
        return f"session of {self.user_id}"


class CredentialRevocation(models.Model):
    """A notice that sockets opened with a credential must close: `token:<id>`, `session:<sha256 of
    the session key>` or `user:<id>` (all of a user's sockets, after a password change). Every
    process reads the notices after the last one it saw (realtime.revocation); kept one hour."""

    credential = models.CharField(max_length=80)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.credential


class HomeCommuneChange(models.Model):
    """Every change of a user's home commune (residents' votes depend on it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="home_changes")
    old = models.ForeignKey("communes.Commune", null=True, on_delete=models.SET_NULL, related_name="+")
    new = models.ForeignKey("communes.Commune", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.old_id} -> {self.new_id}"


class Profile(models.Model):
    """What a person shows others. The display name and avatar appear wherever they act (beside
    messages, in presence and attendee lists); the rest follows `visibility`."""

    PUBLIC, SIGNED_IN, PRIVATE = "public", "signed_in", "private"
    VISIBILITIES = [(PUBLIC, "anyone"), (SIGNED_IN, "signed-in people"), (PRIVATE, "only me")]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(blank=True)
    interests = models.JSONField(default=list, blank=True)
    avatar = models.BinaryField(null=True, blank=True, editable=False)
    avatar_type = models.CharField(max_length=32, blank=True)
    avatar_version = models.PositiveIntegerField(default=0)
    # Who sees the bio, interests, home commune and organisations.
    visibility = models.CharField(max_length=10, choices=VISIBILITIES, default=SIGNED_IN)
    # Shown to people of the same commune who share interests ("near you").
    discoverable = models.BooleanField(default=False)
    show_commune = models.BooleanField(default=False)
    show_organisations = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class TagUse(models.Model):
    """One tag on one thing: a person (their interests), an organisation, an event, a room or a
    proposal. Suggestions and tag pages read this index; each app keeps its own rows current."""

    KINDS = ["person", "organisation", "event", "room", "proposal"]

    tag = models.CharField(max_length=40)
    kind = models.CharField(max_length=12, choices=[(k, k) for k in KINDS])
    object_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "kind", "object_id"], name="tag_use_once")]
        indexes = [models.Index(fields=["kind", "object_id"], name="tag_use_object")]

    def __str__(self) -> str:
        return f"#{self.tag} on {self.kind} {self.object_id}"
