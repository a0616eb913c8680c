"""Reads: a person's notifications, unread count, preferences."""

from __future__ import annotations

from notifications.models import KINDS, Notification, Once, Preferences
from realtime.errors import AppError

PAGE_MAX = 100


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


def preferences_of(user_id: int) -> Preferences:
    """The stored preferences, or unsaved defaults."""
    return Preferences.objects.filter(user_id=user_id).first() or Preferences(user_id=user_id)


def preferences_as_dict(prefs: Preferences) -> dict:
    return {
        "language": prefs.language,
        "digest": prefs.digest,
        "kinds": {kind: {"app": kind not in prefs.app_off, "email": kind not in prefs.email_off} for kind in KINDS},
        "muted": list(prefs.muted),
    }


def notifications_page(*, user, before: int | None = None, limit: int = 30, unread_only: bool = False) -> list:
    if not 1 <= limit <= PAGE_MAX:
        raise AppError("bad_request", f"limit must be between 1 and {PAGE_MAX}")
    rows = Notification.objects.filter(user=user, in_app=True)
    if before is not None:
        rows = rows.filter(id__lt=before)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.order_by("-id")[:limit])


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, in_app=True, read_at__isnull=True).count()


def unread_snapshot(user_id: int) -> dict:
    """The `unread` state of `user:<id>`: the count and a version that grows with every change."""
    version = Preferences.objects.filter(user_id=user_id).values_list("unread_version", flat=True).first() or 0
    return {"unread": unread_count(user_id), "version": version}


def notification_as_dict(notification: Notification) -> dict:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "subject": notification.subject or None,
        "data": notification.data,
        "seq": notification.seq,
        "at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


def once_done(keys: list[str]) -> set[str]:
    """Which of `keys` already notified (so a scheduler tick skips them without writing)."""
    return set(Once.objects.filter(key__in=keys).values_list("key", flat=True))
