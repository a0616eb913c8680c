"""E-mail through a real SMTP server: the digest from two schedulers, once, in each person's language."""

from __future__ import annotations

import re
import sys

import pytest

from tests.live import LiveSocket
from tests.notifications.smtp import SmtpServer, parts

pytestmark = pytest.mark.e2e


def _set_emails(stack, usernames: list[str]) -> None:
    stack.run_python(
        f"""
from accounts.models import User
for name in {usernames!r}:
    User.objects.filter(username=name).update(email=name + "@example.org")
print(json.dumps(True))
"""
    )


def _backdate_notifications(stack) -> int:
    # The digest covers what came before the current period began: move today's into yesterday.
    return stack.run_python(
        """
from datetime import timedelta
from django.utils import timezone
from notifications.models import Notification
print(json.dumps(Notification.objects.update(created_at=timezone.now() - timedelta(days=2))))
"""
    )


async def _mention_and_await(stack, poster_http, room: int, targets: dict[str, tuple[str, str]], count: dict) -> None:
    """Mention each target `count[name]` times and wait until their personal topic carried it."""
    sockets = {}
    try:
        for name, (token, topic) in targets.items():
            sockets[name] = await LiveSocket.open(stack.ws_url(), token)
            await sockets[name].subscribe(topic)
        for name, times in count.items():
            for n in range(times):
                response = poster_http.post(f"/api/rooms/{room}/messages", json={"body": f"@{name} point {n}"})
                assert response.status_code == 201
        for name, times in count.items():
            await sockets[name].wait_seq(targets[name][1], times)
    finally:
        for socket in sockets.values():
            await socket.close()


async def test_digest_from_two_schedulers_once_per_person_in_their_language_with_unsubscribe(live_stack):
    with SmtpServer() as smtp:
        stack = live_stack(processes=1, env={"EMAIL_URL": smtp.url, "NOTIFICATIONS_DELIVER_IN_BACKGROUND": "1"})
        (poster, poster_token), (marie, marie_token), (john, john_token) = stack.create_users(3)
        _set_emails(stack, [marie, john])
        targets = {}
        for name, token, language, digest in ((marie, marie_token, "fr", "daily"), (john, john_token, "en", "hourly")):
            with stack.http(0, token) as client:
                assert (
                    client.put(
                        "/api/notifications/preferences", json={"language": language, "digest": digest}
                    ).status_code
                    == 200
                )
                targets[name] = (token, f"user:{client.get('/api/auth/me').json()['id']}")
        with stack.http(0, poster_token) as poster_http:
            room = poster_http.post("/api/rooms", json={"name": "Conseil"}).json()["id"]
            await _mention_and_await(stack, poster_http, room, targets, {marie: 2, john: 1})
        assert _backdate_notifications(stack) == 3

        schedulers = [stack._spawn([sys.executable, "manage.py", "run_scheduler"], f"scheduler-{i}") for i in range(2)]
        try:
            by_recipient = {m["To"]: m for m in smtp.inbox.wait_for(2)}
        finally:
            for process in schedulers:
                process.terminate()
                process.wait(timeout=10)
        # Each period's digest is claimed by a unique (person, period) row before it is sent.
        claims = stack.run_python(
            "from notifications.models import DigestSent\n"
            "print(json.dumps(sorted(DigestSent.objects.values_list('period', flat=True))))"
        )
        assert [c.split(":")[0] for c in claims] == ["daily", "hourly"]
        assert len(smtp.inbox.messages) == 2, [m["Subject"] for m in smtp.inbox.messages]
        french, english = by_recipient[f"{marie}@example.org"], by_recipient[f"{john}@example.org"]
        assert french["Subject"] == "Vos notifications (2)"
        assert english["Subject"] == "Your notifications (1)"
        text, html = parts(french)
        assert f"{poster} vous a mentionné dans « Conseil »" in text
        assert "« Conseil »" in html and "<a href=" in html
        assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        link = re.search(r"http://\S+(/api/notifications/unsubscribe\?token=\S+)", text).group(1)
        with stack.http() as anonymous:  # the link alone is enough: no session, no token
            assert anonymous.get(link[:-3] + "xyz").status_code == 400  # a forged token does nothing
            assert anonymous.get(link).status_code == 200
        with stack.http(0, marie_token) as client:
            kinds = client.get("/api/notifications/preferences").json()["kinds"]
        assert kinds["mention"] == {"app": True, "email": False}
        assert kinds["reply"] == {"app": True, "email": True}
