from __future__ import annotations

import uuid
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model, password_validation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import BrowserSession, CredentialRevocation, HomeCommuneChange, Token
from accounts.selectors import DELETED_USER, tokens_valid
from communes.selectors import commune_get
from communes.services import resident_verifications_drop
from realtime.errors import AppError
from realtime.idempotency import write_receipts_erase
from realtime.redaction import topic_events_anonymise, topic_events_naming
from realtime.revocation import session_credential
from realtime.writes import user_write

User = get_user_model()


def user_register(*, username: str, password: str, label: str = "registration") -> tuple[User, str]:
    """Create an account and its first token. Usernames are unique case-insensitively."""
    username = username.strip()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
        raise AppError("bad_request", "username: 1-150 letters, digits and @/./+/-/_")
    _password_check(password, User(username=username))
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise AppError("conflict", "this username is taken")
        try:
            user = User.objects.create_user(username=username, password=password)
        except IntegrityError as exc:
            raise AppError("conflict", "this username is taken") from exc
        return user, token_issue(user=user, label=label)


def _password_check(password: str, user) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AppError("bad_request", "password: " + " ".join(exc.messages)) from exc


def token_issue(*, user, label: str = "", session_key: str | None = None) -> str:
    """A new token; `session_key` is the browser session the same sign-in opened (ended with it)."""
    key = Token.new_key()
    Token.objects.create(user=user, key_hash=Token.hash(key), label=label[:120], session_key=session_key or "")
    return key


def token_session_link(*, key: str, session_key: str | None) -> None:
    """Tie a token to the browser session its sign-in opened (revoking one ends both)."""
    Token.objects.filter(key_hash=Token.hash(key)).update(session_key=session_key or "")


# --- ending credentials: sockets opened with them close too (realtime.revocation) ---------------


def _revocations_announce(credentials: list[str]) -> None:
    CredentialRevocation.objects.bulk_create([CredentialRevocation(credential=c) for c in credentials])


def _tokens_revoke(tokens) -> int:
    ids = list(tokens.filter(revoked_at__isnull=True).values_list("id", flat=True))
    Token.objects.filter(id__in=ids).update(revoked_at=timezone.now())
    _revocations_announce([f"token:{token_id}" for token_id in ids])
    return len(ids)


def _sessions_end(session_keys) -> None:
    """End browser sessions (their sockets close with 4003 too)."""
    keys = [key for key in session_keys if key]
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    _revocations_announce([session_credential(key) for key in keys])


def token_revoke(*, user, token_id: int) -> None:
    """The owner revokes one of their tokens and the browser session of the same sign-in;
    `not_found` for anyone else's (ids are not disclosed)."""
    with transaction.atomic():
        tokens = tokens_valid().filter(user=user, id=token_id)
        session_keys = list(tokens.values_list("session_key", flat=True))
        if not _tokens_revoke(tokens):
            raise AppError("not_found", f"token {token_id} does not exist")
        _sessions_end(session_keys)


def session_revoke(*, user, session_id: str) -> None:
    """The owner ends one of their browser sessions (`id` as listed), with the token its sign-in
    issued; `not_found` for anyone else's."""
    with transaction.atomic():
        keys = [
            key
            for key in BrowserSession.objects.filter(user=user).values_list("session_key", flat=True)
            if BrowserSession.public_id(key) == session_id
        ]
        if not keys:
            raise AppError("not_found", "this session does not exist or has ended")
        _tokens_revoke(Token.objects.filter(user=user, session_key__in=keys))
        _sessions_end(keys)


def tokens_revoke_others(*, user, keep_key: str | None, keep_session_key: str | None = None) -> int:
    """ "Sign out everywhere else": every valid token of the user but `keep_key` (the caller's),
    and every browser session of theirs but the caller's (its token's, and `keep_session_key`,
    the cookie's), linked to a token or not. Returns how many devices were signed out."""
    with transaction.atomic():
        tokens = tokens_valid().filter(user=user)
        keep_sessions = {keep_session_key} - {None, ""}
        if keep_key:
            tokens = tokens.exclude(key_hash=Token.hash(keep_key))
            keep_sessions |= set(
                Token.objects.filter(key_hash=Token.hash(keep_key))
                .exclude(session_key="")
                .values_list("session_key", flat=True)
            )
        linked = set(tokens.values_list("session_key", flat=True))
        revoked = _tokens_revoke(tokens)
        alone = set(
            BrowserSession.objects.filter(user=user)
            .exclude(session_key__in=keep_sessions | linked)
            .values_list("session_key", flat=True)
        )
        _sessions_end((linked | alone) - keep_sessions)
        return revoked + len(alone)


def token_revoke_key(*, key: str) -> None:
    with transaction.atomic():
        _tokens_revoke(Token.objects.filter(key_hash=Token.hash(key)))


def session_end_announce(*, session_key: str | None) -> None:
    if session_key:
        _revocations_announce([session_credential(session_key)])


def password_change(
    *, user, current_password: str, new_password: str, label: str = "password change", keep_session_key: str = ""
) -> str:
    """Change the password; every token of the user is revoked, every browser session of theirs but
    `keep_session_key` (the caller's, kept valid by update_session_auth_hash) ends, and every socket
    of theirs closes. Returns a new token."""
    if not user.check_password(current_password):
        raise AppError("forbidden", "the current password is wrong")
    _password_check(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _tokens_revoke(Token.objects.filter(user=user))
        BrowserSession.objects.filter(user=user).exclude(session_key=keep_session_key or "").delete()
        _revocations_announce([f"user:{user.id}"])
        return token_issue(user=user, label=label)


def revocations_purge() -> None:
    """Scheduler job: notices older than an hour have been read by every running process."""
    CredentialRevocation.objects.filter(at__lt=timezone.now() - timedelta(hours=1)).delete()


# --- home commune ------------------------------------------------------------------------------


@user_write("home_commune_set")
def user_home_commune_set(*, user: User, insee: str | None, ref: str | None = None) -> dict:
    """Declare (or clear) one's home commune; returns {id, username, home_commune}. It changes at
    most once per HOME_COMMUNE_CHANGE_DAYS (`rate_limited` with retry_after otherwise) and every
    change is logged, so residents' votes cannot be visited one commune after another."""
    commune = None if insee is None else commune_get(insee=insee)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.home_commune_id != (commune.insee if commune else None):
        window = timedelta(days=settings.HOME_COMMUNE_CHANGE_DAYS)
        last = HomeCommuneChange.objects.filter(user=locked).order_by("-at").first()
        now = timezone.now()
        if last is not None and last.at > now - window:
            raise AppError(
                "rate_limited",
                f"your home commune can change once every {settings.HOME_COMMUNE_CHANGE_DAYS} days",
                retry_after=round((last.at + window - now).total_seconds()),
            )
        HomeCommuneChange.objects.create(user=locked, old_id=locked.home_commune_id, new=commune, at=now)
        resident_verifications_drop(user=locked)
        locked.home_commune = commune
        locked.save(update_fields=["home_commune"])
    user.home_commune = locked.home_commune
    return {"id": locked.id, "username": locked.username, "home_commune": locked.home_commune_id}


def user_erase(*, user: User, password: str) -> None:
    """Delete an account at its owner's request (the password confirms it).

    The row stays as an empty shell (votes and RSVPs keep counting, linked to nobody): its
    name becomes `deleted-<random>`, every personal field is cleared, it can never sign in
    again and its tokens are gone. Each app erases what it holds (settings.ACCOUNT_ERASERS);
    every stored event that named the user now names DELETED_USER."""
    if not isinstance(password, str) or not user.check_password(password):
        raise AppError("forbidden", "wrong password")
    old_name = user.username
    # Found before the transaction: on SQLite it holds every writer back (realtime.redaction).
    naming = topic_events_naming(old_name)
    with transaction.atomic():
        for path in settings.ACCOUNT_ERASERS:
            import_string(path.replace(":", "."))(user=user)
        topic_events_anonymise(name=old_name, replacement=DELETED_USER, scan=naming)
        write_receipts_erase(user=user)
        HomeCommuneChange.objects.filter(user=user).delete()  # where they lived, and when
        _tokens_revoke(Token.objects.filter(user=user))  # their sockets close with 4003 on every process
        Token.objects.filter(user=user).delete()
        BrowserSession.objects.filter(user=user).delete()  # which browsers they used, and when
        _revocations_announce([f"user:{user.id}"])  # sockets opened with a session cookie close too
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
