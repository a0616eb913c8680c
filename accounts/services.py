from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model, password_validation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from accounts.models import Token
from accounts.selectors import DELETED_USER
from communes.selectors import commune_get
from realtime.errors import AppError
from realtime.idempotency import write_receipts_erase
from realtime.redaction import topic_events_anonymise
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


def user_erase(*, user: User, password: str) -> None:
    """Delete an account at its owner's request (the password confirms it).

    The row stays as an empty shell (votes and RSVPs keep counting, linked to nobody): its
    name becomes `deleted-<random>`, every personal field is cleared, it can never sign in
    again and its tokens are gone. Each app erases what it holds (settings.ACCOUNT_ERASERS);
    every stored event that named the user now names DELETED_USER."""
    if not isinstance(password, str) or not user.check_password(password):
        raise AppError("forbidden", "wrong password")
    old_name = user.username
    with transaction.atomic():
        for path in settings.ACCOUNT_ERASERS:
            import_string(path.replace(":", "."))(user=user)
        topic_events_anonymise(name=old_name, replacement=DELETED_USER)
        write_receipts_erase(user=user)
        Token.objects.filter(user=user).delete()
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)).update(
            object_repr=DELETED_USER, change_message=""
        )
        user.username = f"deleted-{uuid.uuid4().hex}"
        user.first_name = user.last_name = user.email = ""
        user.home_commune = None
        user.is_active = user.is_staff = user.is_superuser = False
        user.last_login = None
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
