"""An invitation is e-mailed at once, once, in the invitee's language; secrets never reach the SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import members
from discussions.services import message_post
from notifications import services
from notifications.mail import emails_send
from notifications.models import Notification
from tests.notifications.smtp import SmtpServer, parts

pytestmark = pytest.mark.django_db


def test_invitation_mailed_at_once_and_once_and_an_outsiders_mention_never(
    make_user, make_room, settings, django_capture_on_commit_callbacks
):
    owner = make_user("owner")
    friend = make_user("friend", email="friend@example.org")
    outsider = make_user("outsider", email="outsider@example.org")
    services.preferences_set(user=friend, language="en")
    room = make_room(owner, name="Jardin", visibility="private")
    with SmtpServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        with django_capture_on_commit_callbacks(execute=True):
            members.room_invite(by=owner, room_id=room.id, username="friend")
            message_post(author=owner, room_id=room.id, body="@outsider secret du jardin")
        services.deliveries_run()
        assert emails_send() == 1
        [message] = smtp.inbox.wait_for(1)
        assert emails_send() == 0  # once
        Notification.objects.update(created_at=timezone.now() - timedelta(days=2))
        assert emails_send() == 0  # nothing left for a digest either
    assert message["To"] == "friend@example.org"
    assert message["Subject"].strip() == "owner invites you to the private room “Jardin”"
    text, html = parts(message)
    assert "/api/notifications/unsubscribe?token=" in text and "Jardin" in html
    assert [m["To"] for m in smtp.inbox.messages] == ["friend@example.org"]
    assert not any("secret" in m.as_string() for m in smtp.inbox.messages)
    assert Notification.objects.filter(user=outsider).count() == 0
