import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A resident. `home_commune` makes them a local citizen for commune-scoped votes."""

    home_commune = models.ForeignKey(
        "communes.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="residents"
    )


class Token(models.Model):
    """An API token for non-browser clients. Only its SHA-256 is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens")
    created_at = models.DateTimeField(auto_now_add=True)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    def __str__(self) -> str:
        return f"token of {self.user_id}"
