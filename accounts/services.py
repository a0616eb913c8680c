from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Token
from communes.selectors import commune_get
from realtime.errors import AppError
from realtime.writes import user_write

User = get_user_model()


def user_register(*, username: str, password: str) -> tuple[User, str]:
    """Create an account and its first token. Usernames are unique case-insensitively."""
    username = username.strip()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
        raise AppError("bad_request", "username: 1-150 letters, digits and @/./+/-/_")
    try:
        password_validation.validate_password(password, User(username=username))
    except ValidationError as exc:
        raise AppError("bad_request", "password: " + " ".join(exc.messages)) from exc
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise AppError("conflict", "this username is taken")
        try:
            user = User.objects.create_user(username=username, password=password)
        except IntegrityError as exc:
            raise AppError("conflict", "this username is taken") from exc
        return user, token_issue(user=user)


def token_issue(*, user: User) -> str:
    key = Token.new_key()
    Token.objects.create(user=user, key_hash=Token.hash(key))
    return key


@user_write("home_commune_set")
def user_home_commune_set(*, user: User, insee: str | None, ref: str | None = None) -> dict:
    """Set (or clear, with None) the user's home commune; returns {id, username, home_commune}."""
    user.home_commune = None if insee is None else commune_get(insee=insee)
    user.save(update_fields=["home_commune"])
    return {"id": user.id, "username": user.username, "home_commune": user.home_commune_id}
