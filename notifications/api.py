"""HTTP: the caller's notifications, marking them read, preferences, mute, one-click unsubscribe."""

from __future__ import annotations

from typing import Literal

from django.core import signing
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from accounts.api import request_user, user_required
from notifications import selectors, services
from notifications.mail import UNSUBSCRIBE_SALT
from realtime.errors import AppError

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str | None
    data: dict
    seq: int | None
    at: str
    read: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread: int
    topic: str


class ReadOut(Schema):
    read: list[int]
    seq: int | None


class ChannelsIn(Schema):
    app: bool | None = None
    email: bool | None = None


class PreferencesIn(Schema):
    language: Literal["fr", "en"] | None = None
    digest: Literal["hourly", "daily", "off"] | None = None
    kinds: dict[str, ChannelsIn] | None = None


class PreferencesOut(Schema):
    language: str
    digest: str
    kinds: dict[str, dict[str, bool]]
    muted: list[str]


class MuteIn(Schema):
    subject: str
    muted: bool = True


@router.get("", response=NotificationPage, summary="Your notifications, newest first (page with before=<id>)")
def notification_list(request: HttpRequest, before: int | None = None, limit: int = 30, unread_only: bool = False):
    user = user_required(request)
    rows = selectors.notifications_page(user=user, before=before, limit=limit, unread_only=unread_only)
    return {
        "items": [selectors.notification_as_dict(n) for n in rows],
        "unread": selectors.unread_count(user.pk),
        "topic": selectors.user_topic(user.pk),
    }


@router.post("/{notification_id}/read", response=ReadOut, summary="Mark one of your notifications read")
def notification_read(request: HttpRequest, notification_id: int):
    return services.notification_read(user=request_user(request), notification_id=notification_id)


@router.post("/read", response=ReadOut, summary="Mark all your notifications read")
def notification_read_all(request: HttpRequest):
    return services.notification_read(user=request_user(request))


@router.get("/preferences", response=PreferencesOut)
def preferences_get(request: HttpRequest):
    return selectors.preferences_as_dict(selectors.preferences_of(user_required(request).pk))


@router.put("/preferences", response=PreferencesOut, summary="Language of e-mails, digest, per kind and channel")
def preferences_set(request: HttpRequest, payload: PreferencesIn):
    kinds = {k: v.dict(exclude_none=True) for k, v in (payload.kinds or {}).items()}
    return services.preferences_set(
        user=request_user(request), language=payload.language, digest=payload.digest, kinds=kinds
    )


@router.post("/mute", response=PreferencesOut, summary="Mute or unmute a room or an event")
def subject_mute(request: HttpRequest, payload: MuteIn):
    return services.subject_mute(user=request_user(request), subject=payload.subject, muted=payload.muted)


def _unsubscribe(token: str) -> HttpResponse:
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise AppError("bad_request", "this unsubscribe link is not valid") from None
    services.email_kind_off(user_id=int(payload["u"]), kind=str(payload["k"]))
    return HttpResponse("OK: no more e-mails of this kind. / Vous ne recevrez plus ces e-mails.\n")


@router.get("/unsubscribe", summary="One-click unsubscribe from one kind of e-mail (signed link)")
def unsubscribe_get(request: HttpRequest, token: str):
    return _unsubscribe(token)


@router.post("/unsubscribe", summary="RFC 8058 one-click unsubscribe (List-Unsubscribe-Post)")
def unsubscribe_post(request: HttpRequest, token: str):
    return _unsubscribe(token)
