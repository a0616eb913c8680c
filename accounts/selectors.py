from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import BrowserSession, CredentialRevocation, HomeCommuneChange, Token
from communes.selectors import referent_communes, resident_is_verified

User = get_user_model()

# Who wrote what an erased account wrote. Has a space, so no username can ever be it.
DELETED_USER = "deleted user"


def tokens_valid(now=None) -> QuerySet[Token]:
    """Tokens neither revoked nor expired (idle for TOKEN_IDLE_DAYS, or older than TOKEN_MAX_AGE_DAYS)."""
    now = now or timezone.now()
    return Token.objects.filter(
        revoked_at__isnull=True,
        last_used_at__gt=now - timedelta(days=settings.TOKEN_IDLE_DAYS),
        created_at__gt=now - timedelta(days=settings.TOKEN_MAX_AGE_DAYS),
        user__is_active=True,
    )


def token_get_valid(key: str) -> Token | None:
    """The valid token of this key (its user loaded); each use slides its expiry, written at most
    once per TOKEN_TOUCH_SECONDS so that reads do not all become writes."""
    return tokens_get_valid([key]).get(key)


def tokens_get_valid(keys: list[str]) -> dict[str, Token]:
    """`token_get_valid` for many keys at once (the handshakes of a reconnect storm): one query
    for the tokens and their users, one update for those whose expiry slides. Invalid keys are
    left out."""
    now = timezone.now()
    by_hash = {Token.hash(key): key for key in keys}
    found = {by_hash[t.key_hash]: t for t in tokens_valid(now).select_related("user").filter(key_hash__in=by_hash)}
    stale = [t for t in found.values() if (now - t.last_used_at).total_seconds() > settings.TOKEN_TOUCH_SECONDS]
    if stale:
        Token.objects.filter(id__in=[t.id for t in stale]).update(last_used_at=now)
        for token in stale:
            token.last_used_at = now
    return found


def user_by_token(key: str) -> User | None:
    token = token_get_valid(key)
    return None if token is None else token.user


def token_id_of(key: str) -> int | None:
    return Token.objects.filter(key_hash=Token.hash(key)).values_list("id", flat=True).first()


def token_list(*, user) -> list[dict]:
    """The owner's valid tokens, newest first."""
    idle = timedelta(days=settings.TOKEN_IDLE_DAYS)
    max_age = timedelta(days=settings.TOKEN_MAX_AGE_DAYS)
    return [
        {
            "id": token.id,
            "label": token.label,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "expires_at": min(token.last_used_at + idle, token.created_at + max_age),
        }
        for token in tokens_valid().filter(user=user).order_by("-created_at", "-id")
    ]


def browser_sessions(*, user, current_keys: set[str]) -> list[dict]:
    """The owner's open browser sessions, newest first: when each signed in, with which browser
    (unknown for sessions older than this list), and the token its sign-in issued if still valid
    (`token`: the device is then listed by its token, and its `last_seen_at` is the token's)."""
    now = timezone.now()
    linked = {
        key: (token_id, used)
        for key, token_id, used in tokens_valid(now)
        .filter(user=user)
        .exclude(session_key="")
        .values_list("session_key", "id", "last_used_at")
    }
    items = []
    for row in BrowserSession.objects.filter(user=user, expire_date__gt=now).order_by("-signed_in_at", "-expire_date"):
        token_id, used = linked.get(row.session_key, (None, None))
        items.append(
            {
                "id": BrowserSession.public_id(row.session_key),
                "user_agent": row.user_agent,
                # Not recorded for sessions older than this list: estimated, a session's expiry
                # being set when it is saved, at sign-in.
                "signed_in_at": row.signed_in_at or row.expire_date - timedelta(seconds=settings.SESSION_COOKIE_AGE),
                "last_seen_at": used,
                "expires_at": row.expire_date,
                "current": row.session_key in current_keys,
                "token": token_id,
            }
        )
    return items


def token_session_key(key: str) -> str:
    """The browser session the sign-in of this token opened ("" if none)."""
    return Token.objects.filter(key_hash=Token.hash(key)).values_list("session_key", flat=True).first() or ""


def token_from_authorization(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None."""
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def credential_revocations_since(moment) -> list[tuple[int, str]]:
    """(id, credential) of the notices written at or after `moment`; the reader overlaps its reads
    and skips ids it has seen, because ids are not committed in order."""
    return list(CredentialRevocation.objects.filter(at__gte=moment).order_by("id").values_list("id", "credential"))


def account_summary(*, user) -> dict:
    """What the account page shows of its owner: the home commune, whether a referent verified
    it, when it last changed and the first moment it may change again (null: now)."""
    last = HomeCommuneChange.objects.filter(user=user).order_by("-at").values_list("at", flat=True).first()
    next_change = None
    if last is not None:
        allowed = last + timedelta(days=settings.HOME_COMMUNE_CHANGE_DAYS)
        next_change = allowed if allowed > timezone.now() else None
    return {
        "id": user.id,
        "username": user.username,
        "home_commune": user.home_commune_id,
        "home_commune_verified": resident_is_verified(user=user, insee=user.home_commune_id),
        "home_commune_changed_at": last,
        "home_commune_next_change_at": next_change,
        "home_commune_change_days": settings.HOME_COMMUNE_CHANGE_DAYS,
        "referent_of": referent_communes(user=user),
    }
