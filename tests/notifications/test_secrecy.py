"""Secrecy, scanned: nothing about what a person may not read reaches them — no notification,
no frame, no e-mail. Two daphne processes, Redis, a real SMTP server.

A former member of a private room is mentioned there, replied to there, and a members-only
proposal opens there, each carrying a secret; a mention in a public room is the control that
proves the pipeline reached them. Then the person's frames on both processes, their
notifications over HTTP, the database rows addressed to them and every e-mail (immediate and
digest) are searched for the secrets."""

from __future__ import annotations

import uuid

import pytest

from tests.live import LiveSocket
from tests.notifications.smtp import SmtpServer, parts

pytestmark = pytest.mark.e2e


async def test_no_notification_frame_or_email_about_what_the_person_may_not_read(live_stack):
    tag = uuid.uuid4().hex[:8]
    secrets = [f"SECRET-MENTION-{tag}", f"SECRET-REPLY-{tag}", f"SECRET-PROPOSAL-{tag}"]
    with SmtpServer() as smtp:
        stack = live_stack(processes=2, redis=True, env={"EMAIL_URL": smtp.url})
        (owner, t_owner), (former, t_former) = stack.create_users(2)
        stack.run_python(
            f"from accounts.models import User\n"
            f"print(json.dumps(User.objects.filter(username={former!r}).update(email='former@example.org')))"
        )
        with stack.http(1, t_former) as http:
            me = http.get("/api/auth/me").json()
            assert http.put("/api/notifications/preferences", json={"digest": "hourly"}).status_code == 200
        topic = f"user:{me['id']}"
        tabs = [await LiveSocket.open(stack.ws_url(i), t_former) for i in (0, 1)]
        try:
            for tab in tabs:
                await tab.subscribe(topic)
            owner_http, former_http = stack.http(0, t_owner), stack.http(1, t_former)
            # A member for a while (invited, accepted, wrote), then removed.
            private = owner_http.post("/api/rooms", json={"name": "Bureau", "visibility": "private"}).json()
            owner_http.post(f"/api/rooms/{private['id']}/invitations", json={"username": former})
            [invitation] = former_http.get("/api/rooms/invitations/pending").json()
            assert former_http.post(f"/api/rooms/invitations/{invitation['id']}/accept").status_code == 200
            own = former_http.post(f"/api/rooms/{private['id']}/messages", json={"body": "bonjour"}).json()
            assert owner_http.delete(f"/api/rooms/{private['id']}/members/{former}").status_code == 204
            assert former_http.get(f"/api/rooms/{private['id']}").status_code == 404

            messages = f"/api/rooms/{private['id']}/messages"
            assert owner_http.post(messages, json={"body": f"@{former} {secrets[0]}"}).status_code == 201
            reply = {"body": secrets[1], "reply_to": own["id"]}
            assert owner_http.post(messages, json=reply).status_code == 201
            proposal = {"title": secrets[2], "body": secrets[2], "room": private["id"], "eligibility": "members"}
            assert owner_http.post("/api/proposals", json=proposal).status_code == 201
            # The control: a public mention reaches the same person on both tabs.
            control = f"CONTROL-{tag}"
            public = owner_http.post("/api/rooms", json={"name": f"Place {control}", "visibility": "public"}).json()
            posted = owner_http.post(f"/api/rooms/{public['id']}/messages", json={"body": f"@{former} {control}"})
            assert posted.status_code == 201
            for tab in tabs:
                last = await tab.wait_for(lambda f: control in repr(f.get("data")), timeout=20)
                assert last["kind"] == "notification.created" and last["data"]["kind"] == "mention"
            listed = former_http.get("/api/notifications").json()["items"]
            assert sorted(n["kind"] for n in listed) == ["mention", "room_invitation"]
            owner_http.close()
            former_http.close()
        finally:
            for tab in tabs:
                await tab.close()

        # The digest (backdated into the last period) and the invitation's immediate e-mail.
        sent = stack.run_python(
            """
from datetime import timedelta
from django.utils import timezone
from notifications.mail import emails_send
from notifications.models import Notification
Notification.objects.update(created_at=timezone.now() - timedelta(days=2))
print(json.dumps(emails_send()))
"""
        )
        assert sent == 2
        mails = smtp.inbox.wait_for(2)
        addressed = stack.run_python(
            f"""
from notifications.models import DeliveryJob, Notification
from realtime.models import TopicEvent
rows = list(Notification.objects.filter(user_id={me["id"]}).values())
rows += list(TopicEvent.objects.filter(topic={topic!r}).values())
print(json.dumps([repr(rows), DeliveryJob.objects.count()]))
"""
        )
        scanned = {
            "tab on process 0": repr(tabs[0].frames),
            "tab on process 1": repr(tabs[1].frames),
            "notifications over HTTP": repr(listed),
            "rows addressed to them": addressed[0],
            "e-mails": "\n".join(f"{m['Subject']}\n{text}\n{html}" for m in mails for text, html in [parts(m)]),
        }
        assert addressed[1] == 0  # every queued job was delivered (or dropped): nothing pending
        for where, text in scanned.items():
            assert control in text, f"the control is missing from {where}: the scan would prove nothing"
            for secret in secrets:
                assert secret not in text, f"{secret} reached {where}"
        assert [m["To"] for m in mails] == ["former@example.org", "former@example.org"]
        # The digest holds the control only (a leaked mention or reply would add an item about « Bureau »).
        subjects = sorted(m["Subject"].strip() for m in mails)
        assert subjects == ["Vos notifications (1)", f"{owner} vous invite dans le salon privé « Bureau »"], subjects
        assert len(smtp.inbox.messages) == 2
