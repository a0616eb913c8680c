import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
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
