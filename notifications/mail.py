"""E-mail: invitations at once, the rest in each person's hourly or daily digest, in their language.

`emails_send` is a scheduler job. Every e-mail is claimed in the database before it is sent
(a conditional update for an immediate one, a unique (user, period) row for a digest), so
two schedulers never send the same one; a failed send releases the claim for the next tick.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import DigestSent, Notification, Preferences

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
DIGEST_MAX = 100

TEXTS = {
    "fr": {
        "mention": "{actor} vous a mentionné dans « {title} »",
        "reply": "{actor} a répondu à votre message dans « {title} »",
        "waitlist_promoted": "Une place s'est libérée : vous participez à « {title} »",
        "event_updated": "L'événement « {title} » a été modifié",
        "event_cancelled": "L'événement « {title} » est annulé",
        "event_starting": "« {title} » commence dans moins d'une heure",
        "room_invitation": "{actor} vous invite dans le salon privé « {title} »",
        "event_invitation": "{actor} vous invite à « {title} »",
        "proposal_opened": "Le vote est ouvert : « {title} »",
        "proposal_closing": "Le vote « {title} » se termine dans moins de 24 h, vous n'avez pas voté",
        "proposal_result": "Résultat du vote « {title} »",
        "moderation": "La modération a retiré votre message dans « {title} » : {excerpt}",
        "action_assigned": "Une action vous est confiée : « {title} » ({excerpt})",
        "action_updated": "{actor} a changé l'état de l'action « {title} » ({excerpt})",
        "action_updated.todo": "{actor} a remis l'action « {title} » à faire ({excerpt})",
        "action_updated.doing": "{actor} a commencé l'action « {title} » ({excerpt})",
        "action_updated.done": "{actor} a terminé l'action « {title} » ({excerpt})",
        "moderation.muted": "Un modérateur vous a rendu muet·te dans « {title} » : vous lisez, sans écrire. {reason}",
        "moderation.unmuted": "Vous pouvez de nouveau écrire dans « {title} »",
        "moderation.banned": "Un modérateur vous a exclu·e du salon « {title} ». {reason}",
        "moderation.unbanned": "Votre exclusion du salon « {title} » est levée",
        "moderation.message_deleted": "Un modérateur a supprimé votre message dans « {title} » : {excerpt}",
        "moderation.message_removed_by_vote": "Le vote de modération du salon « {title} » a retiré votre message : {excerpt}",
        "moderation.message_kept": "Le vote de modération du salon « {title} » a gardé votre message signalé, de nouveau visible : {excerpt}",
        "moderation.question_removed_by_vote": "Le vote de modération du salon « {title} » a retiré votre question : {excerpt}",
        "moderation.question_kept": "Le vote de modération du salon « {title} » a gardé votre question signalée, de nouveau visible : {excerpt}",
        "moderation.proposal_removed_by_vote": "Le vote de modération du salon « {title} » a retiré votre proposition : {excerpt}",
        "moderation.proposal_kept": "Le vote de modération du salon « {title} » a gardé votre proposition signalée, de nouveau visible : {excerpt}",
        "moderation.proposal_removed_by_commune_vote": "Le vote de modération de la commune « {title} » a retiré votre proposition : {excerpt}",
        "moderation.proposal_kept_by_commune_vote": "Le vote de modération de la commune « {title} » a gardé votre proposition signalée, de nouveau visible : {excerpt}",
        "proposal_opened.reopened": "Le vote « {title} » est rouvert et vous n'avez pas voté : {reason}",
        "digest_subject": "Vos notifications ({count})",
        "digest_intro": "Voici ce qui vous concerne depuis le dernier résumé :",
        "open": "Ouvrir",
        "unsubscribe": "Ne plus recevoir d'e-mails de ce type",
        "footer": "Réglez vos notifications : {url}",
    },
    "en": {
        "mention": "{actor} mentioned you in “{title}”",
        "reply": "{actor} replied to your message in “{title}”",
        "waitlist_promoted": "A seat opened up: you are going to “{title}”",
        "event_updated": "The event “{title}” was updated",
        "event_cancelled": "The event “{title}” is cancelled",
        "event_starting": "“{title}” starts within the hour",
        "room_invitation": "{actor} invites you to the private room “{title}”",
        "event_invitation": "{actor} invites you to “{title}”",
        "proposal_opened": "Voting is open: “{title}”",
        "proposal_closing": "The vote “{title}” closes within 24 h and you have not voted",
        "proposal_result": "Result of the vote “{title}”",
        "moderation": "A moderator removed your message in “{title}”: {excerpt}",
        "action_assigned": "An action is yours: “{title}” ({excerpt})",
        "action_updated": "{actor} changed the status of the action “{title}” ({excerpt})",
        "action_updated.todo": "{actor} set the action “{title}” back to do ({excerpt})",
        "action_updated.doing": "{actor} started the action “{title}” ({excerpt})",
        "action_updated.done": "{actor} finished the action “{title}” ({excerpt})",
        "moderation.muted": "A moderator muted you in “{title}”: you can read, not write. {reason}",
        "moderation.unmuted": "You may write in “{title}” again",
        "moderation.banned": "A moderator banned you from the room “{title}”. {reason}",
        "moderation.unbanned": "Your ban from the room “{title}” is lifted",
        "moderation.message_deleted": "A moderator deleted your message in “{title}”: {excerpt}",
        "moderation.message_removed_by_vote": "The moderation vote of the room “{title}” removed your message: {excerpt}",
        "moderation.message_kept": "The moderation vote of the room “{title}” kept your reported message, visible again: {excerpt}",
        "moderation.question_removed_by_vote": "The moderation vote of the room “{title}” removed your question: {excerpt}",
        "moderation.question_kept": "The moderation vote of the room “{title}” kept your reported question, visible again: {excerpt}",
        "moderation.proposal_removed_by_vote": "The moderation vote of the room “{title}” removed your proposal: {excerpt}",
        "moderation.proposal_kept": "The moderation vote of the room “{title}” kept your reported proposal, visible again: {excerpt}",
        "moderation.proposal_removed_by_commune_vote": "The moderation vote of the commune “{title}” removed your proposal: {excerpt}",
        "moderation.proposal_kept_by_commune_vote": "The moderation vote of the commune “{title}” kept your reported proposal, visible again: {excerpt}",
        "proposal_opened.reopened": "The vote “{title}” reopened and you have not voted: {reason}",
        "digest_subject": "Your notifications ({count})",
        "digest_intro": "Here is what concerns you since the last digest:",
        "open": "Open",
        "unsubscribe": "Stop e-mails of this kind",
        "footer": "Notification settings: {url}",
    },
}


def notification_text(notification: Notification, language: str) -> str:
    data = {"actor": "", "title": "", "excerpt": "", "reason": "", **notification.data}
    texts = TEXTS[language]
    # A variant of the kind for what happened (a moderator's mute or ban, a vote that reopened).
    variant = data.get("action") or ("reopened" if data.get("reopened") else "")
    text = texts.get(f"{notification.kind}.{variant}") or texts[notification.kind]
    return text.format(**data).strip()


def unsubscribe_url(user_id: int, kind: str) -> str:
    token = signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT)
    return f"{settings.SITE_URL}/api/notifications/unsubscribe?token={token}"


def _message(user, language: str, subject: str, notifications: list[Notification]) -> EmailMultiAlternatives:
    texts = TEXTS[language]
    items = [
        {
            "text": notification_text(n, language),
            "url": settings.SITE_URL + n.data.get("url", "/#/inbox"),
            "unsubscribe": unsubscribe_url(user.pk, n.kind),
        }
        for n in notifications
    ]
    context = {
        "texts": texts,
        "items": items,
        "language": language,
        "intro": texts["digest_intro"] if len(items) > 1 else "",
        "footer": texts["footer"].format(url=f"{settings.SITE_URL}/#/inbox"),
    }
    body = render_to_string("notifications/email.txt", context)
    html = render_to_string("notifications/email.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[user.email])
    message.attach_alternative(html, "text/html")
    # RFC 8058: mail clients offer their own one-click button (POST to the same signed link).
    message.extra_headers = {
        "List-Unsubscribe": f"<{items[0]['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": language,
    }
    return message


def _language(user_id: int) -> str:
    return Preferences.objects.filter(user_id=user_id).values_list("language", flat=True).first() or "fr"


def immediate_send() -> int:
    sent = 0
    due = Notification.objects.filter(email="immediate", emailed_at__isnull=True).order_by("id")
    for notification in due.select_related("user")[:DIGEST_MAX]:
        claimed = Notification.objects.filter(id=notification.id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        language = _language(notification.user_id)
        try:
            text = notification_text(notification, language)
            _message(notification.user, language, text, [notification]).send()
            sent += 1
        except Exception:
            log.exception("e-mail of notification %s failed; retried next tick", notification.id)
            Notification.objects.filter(id=notification.id).update(emailed_at=None)
    return sent


def period_start(seconds: int, now: datetime) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def digests_send(*, now: datetime | None = None) -> int:
    """Each person's digest of what came before the current period began, once per period."""
    now = now or timezone.now()
    sent = 0
    for choice, seconds in settings.DIGEST_PERIODS.items():
        start = period_start(seconds, now)
        owners = Preferences.objects.filter(digest=choice).values_list("user_id", flat=True)
        due = Notification.objects.filter(email="digest", emailed_at__isnull=True, created_at__lt=start)
        if choice == "daily":  # no preferences row means the default, daily
            due = due.exclude(user__notification_preferences__digest__in=["hourly", "off"])
        else:
            due = due.filter(user_id__in=owners)
        for user_id in due.values_list("user_id", flat=True).distinct():
            sent += _digest_send(user_id=user_id, key=f"{choice}:{int(start.timestamp())}", before=start)
    return sent


def _digest_send(*, user_id: int, key: str, before: datetime) -> int:
    try:
        with transaction.atomic():
            claim = DigestSent.objects.create(user_id=user_id, period=key)
    except IntegrityError:
        return 0  # this period's digest is someone else's (or already sent)
    rows = list(
        Notification.objects.filter(
            user_id=user_id, email="digest", emailed_at__isnull=True, created_at__lt=before
        ).order_by("id")[:DIGEST_MAX]
    )
    if not rows:
        return 0
    user = get_user_model().objects.get(pk=user_id)
    language = _language(user_id)
    try:
        subject = TEXTS[language]["digest_subject"].format(count=len(rows))
        _message(user, language, subject, rows).send()
    except Exception:
        log.exception("digest for user %s failed; retried next tick", user_id)
        claim.delete()
        return 0
    Notification.objects.filter(id__in=[n.id for n in rows]).update(emailed_at=timezone.now())
    return 1


def digests_forget(*, older_than: timedelta = timedelta(days=3)) -> None:
    old = DigestSent.objects.filter(sent_at__lt=timezone.now() - older_than)
    if old.exists():  # a read first: an idle tick takes no write lock
        old.delete()


def emails_send() -> int:
    """Scheduler job: immediate e-mails, then digests whose period has come."""
    sent = immediate_send() + digests_send()
    digests_forget()
    return sent
