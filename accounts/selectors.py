from __future__ import annotations

from django.contrib.auth import get_user_model

from accounts.models import Token

User = get_user_model()


def user_by_token(key: str) -> User | None:
    token = Token.objects.select_related("user").filter(key_hash=Token.hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


def token_from_authorization(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None."""
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()
