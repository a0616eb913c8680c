"""Writes: queue notifications (outbox), deliver them to `user:<id>` topics, mark read, preferences.

Other apps call `notify` inside their own transaction, naming only people who may read the
subject. It writes one `DeliveryJob` row; the fan-out to each recipient (rows, sequenced
events, unread state) runs after the writer's commit in a background thread of the process,
with the scheduler as the safety net, so a writer's `ok` never waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.selectors import DELETED_USER
from notifications.models import IMMEDIATE_KINDS, KINDS, DeliveryJob, DigestSent, Notification, Once, Preferences
from notifications.selectors import notification_as_dict, preferences_as_dict, user_topic
from realtime.errors import AppError
from realtime.redaction import json_text_names, string_values_replace, topic_events_tombstone
from realtime.sequencing import topic_event_append, topic_seq_take
from realtime.state import topic_state_changed
from realtime.topics import topic_parse
from realtime.writes import user_write

log = logging.getLogger(__name__)

JOB_BATCH = 50
# One worker: deliveries queue behind each other instead of competing for the write lock.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notifications")


def notify(*, kind: str, recipients: Iterable[int], subject: str = "", data: dict, exclude: int | None = None) -> None:
    """Queue `kind` for `recipients` (user ids) in the caller's transaction; delivered after commit."""
    assert kind in KINDS, kind
    ids = sorted({int(r) for r in recipients if r is not None and r != exclude})
    if not ids:
        return
    DeliveryJob.objects.create(kind=kind, subject=subject, recipients=ids, data=data)
    transaction.on_commit(deliveries_kick)


def notify_once(*, key: str, kind: str, recipients: Iterable[int], subject: str = "", data: dict) -> bool:
    """`notify`, unless something already notified under `key` (reminders that schedulers raise)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                Once.objects.create(key=key)
        except IntegrityError:
            return False
        notify(kind=kind, recipients=recipients, subject=subject, data=data)
    return True


def deliveries_kick() -> None:
    if settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND:
        _executor.submit(_deliveries_in_thread)


def _deliveries_in_thread() -> None:
    try:
        deliveries_run()
    except Exception:
        log.exception("notification delivery failed; the scheduler will retry")
    finally:
        close_old_connections()
        connection.close()


def deliveries_run() -> int:
    """Deliver every queued job, each exactly once across processes (scheduler job too)."""
    delivered = 0
    while True:
        job_ids = list(DeliveryJob.objects.order_by("id").values_list("id", flat=True)[:JOB_BATCH])
        if not job_ids:
            return delivered
        for job_id in job_ids:
            delivered += job_deliver(job_id=job_id)


def _may_read(user, subject: str) -> bool:
    if not subject:
        return True
    kind, object_id = topic_parse(subject)
    try:
        kind.authorize_read(user, object_id)
    except AppError:
        return False
    return True


def job_deliver(*, job_id: int) -> int:
    """Claim the job by deleting it and create its notifications in the same transaction."""
    with transaction.atomic():
        job = DeliveryJob.objects.filter(id=job_id).first()
        if job is None or DeliveryJob.objects.filter(id=job_id).delete()[0] != 1:
            return 0  # another process delivered it
        return _job_fan_out(job)


def _job_fan_out(job: DeliveryJob) -> int:
    users = get_user_model().objects.in_bulk(job.recipients)
    prefs = {p.user_id: p for p in Preferences.objects.filter(user_id__in=job.recipients)}
    created = 0
    for user_id in job.recipients:
        user = users.get(user_id)
        if user is None or not user.is_active:
            continue
        pref = prefs.get(user_id) or Preferences(user_id=user_id)
        if job.subject and job.subject in pref.muted:
            continue
        in_app = job.kind not in pref.app_off
        by_email = job.kind not in pref.email_off and bool(user.email)
        if not (in_app or by_email) or not _may_read(user, job.subject):
            continue
        email = "none" if not by_email else ("immediate" if job.kind in IMMEDIATE_KINDS else "digest")
        if email == "digest" and pref.digest == "off":
            email = "none"
        notification = Notification.objects.create(
            user_id=user_id, kind=job.kind, subject=job.subject, data=job.data, in_app=in_app, email=email
        )
        if in_app:
            _publish(notification)
        created += 1
    return created


def _publish(notification: Notification) -> None:
    # The seq first: the row carries it, and the event is written once, complete.
    topic = user_topic(notification.user_id)
    notification.seq = topic_seq_take(topic)
    notification.save(update_fields=["seq"])
    topic_event_append(
        topic=topic, kind="notification.created", seq=notification.seq, data=notification_as_dict(notification)
    )
    _unread_changed(notification.user_id)


def _unread_changed(user_id: int) -> None:
    Preferences.objects.get_or_create(user_id=user_id)
    Preferences.objects.filter(user_id=user_id).update(unread_version=F("unread_version") + 1)
    topic_state_changed(user_topic(user_id))


@user_write("notification_read", signed_out="sign in first")
def notification_read(*, user, notification_id: int | None = None, ref: str | None = None) -> dict:
    """Mark one of the caller's notifications read (all of them when `notification_id` is None).

    Someone else's notification is `not_found`, as if it did not exist. Publishes
    `notification.read` {ids} on the caller's topic so their other tabs follow.
    """
    rows = Notification.objects.select_for_update().filter(user=user, in_app=True, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(id=notification_id, user=user, in_app=True).exists():
            raise AppError("not_found", f"notification {notification_id} does not exist")
        rows = rows.filter(id=notification_id)
    ids = list(rows.values_list("id", flat=True))
    if not ids:
        return {"read": [], "seq": None}
    Notification.objects.filter(id__in=ids).update(read_at=timezone.now())
    event = topic_event_append(topic=user_topic(user.pk), kind="notification.read", data={"ids": ids})
    _unread_changed(user.pk)
    return {"read": ids, "seq": event.seq}


@user_write("preferences_set", signed_out="sign in first")
def preferences_set(
    *,
    user,
    language: str | None = None,
    digest: str | None = None,
    kinds: dict[str, dict[str, bool]] | None = None,
    ref: str | None = None,
) -> dict:
    if language is not None and language not in ("fr", "en"):
        raise AppError("bad_request", "language must be 'fr' or 'en'")
    if digest is not None and digest not in dict(Preferences.DIGEST_CHOICES):
        raise AppError("bad_request", "digest must be 'hourly', 'daily' or 'off'")
    unknown = sorted(set(kinds or {}) - set(KINDS))
    if unknown:
        raise AppError("bad_request", f"unknown notification kind {unknown[0]!r}")
    prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
    prefs.language = language or prefs.language
    prefs.digest = digest or prefs.digest
    for kind, channels in (kinds or {}).items():
        for channel, field in (("app", "app_off"), ("email", "email_off")):
            if channel in channels:
                off = set(getattr(prefs, field)) - {kind}
                setattr(prefs, field, sorted(off if channels[channel] else off | {kind}))
    prefs.save()
    return preferences_as_dict(prefs)


@user_write("mute", signed_out="sign in first")
def subject_mute(*, user, subject: str, muted: bool, ref: str | None = None) -> dict:
    """Mute or unmute a room or an event the caller may read (`room:12`, `event:3`)."""
    kind, _ = topic_parse(subject)
    if kind.prefix not in ("room", "event", "proposal"):
        raise AppError("bad_request", "only rooms, events and proposals can be muted")
    if not _may_read(user, subject):
        raise AppError("not_found", f"{subject} does not exist")
    prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
    others = set(prefs.muted) - {subject}
    prefs.muted = sorted(others | {subject} if muted else others)
    prefs.save(update_fields=["muted"])
    return preferences_as_dict(prefs)


def email_kind_off(*, user_id: int, kind: str) -> None:
    """The one-click unsubscribe: no more e-mail of `kind` (the link was signed for this user)."""
    if kind not in KINDS:
        raise AppError("bad_request", "unknown notification kind")
    with transaction.atomic():
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user_id=user_id)
        prefs.email_off = sorted(set(prefs.email_off) | {kind})
        prefs.save(update_fields=["email_off"])


def language_default(*, user_id: int, language: str) -> None:
    """Remember the language the person uses, unless they chose one."""
    if language in ("fr", "en"):
        Preferences.objects.get_or_create(user_id=user_id, defaults={"language": language})


def user_notifications_erase(*, user) -> None:
    """Account erasure (settings.ACCOUNT_ERASERS), in the caller's transaction: what was addressed
    to the person goes (notifications, preferences, digest claims, their place in queued jobs, the
    events of their `user:<id>` topic); what names them in others' notifications, delivered or
    queued, names DELETED_USER (the stored events are anonymised by `user_erase` itself)."""
    Notification.objects.filter(user=user).delete()
    Preferences.objects.filter(user=user).delete()
    DigestSent.objects.filter(user=user).delete()
    topic_events_tombstone(topic=user_topic(user.pk))
    for job in DeliveryJob.objects.select_for_update():
        recipients = [r for r in job.recipients if r != user.pk]
        data = string_values_replace(job.data, user.username, DELETED_USER)
        if not recipients:
            job.delete()
        elif recipients != job.recipients or data != job.data:
            job.recipients, job.data = recipients, data
            job.save(update_fields=["recipients", "data"])
    naming = Notification.objects.annotate(as_text=Cast("data", TextField())).filter(json_text_names(user.username))
    for notification in naming.select_for_update():
        data = string_values_replace(notification.data, user.username, DELETED_USER)
        if data != notification.data:
            notification.data = data
            notification.save(update_fields=["data"])


def notifications_about_redact(*, subject: str, texts: list[str]) -> int:
    """Blank `texts` (exact string values) in the notifications about `subject`, delivered or
    queued, in the caller's transaction (a proposal hidden by reports: its title leaves the
    people's inboxes; their `user:<id>` events are redacted by the caller's scan). E-mails
    already sent cannot be taken back. Returns how many rows changed."""
    changed = 0
    rows = [*Notification.objects.filter(subject=subject).select_for_update()]
    rows += [*DeliveryJob.objects.filter(subject=subject).select_for_update()]
    for row in rows:
        data = row.data
        for text in texts:
            data = string_values_replace(data, text, "")
        if data != row.data:
            row.data = data
            row.save(update_fields=["data"])
            changed += 1
    return changed
