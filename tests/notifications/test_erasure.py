"""Account erasure (ACCOUNT_ERASERS) empties notify's tables of the person: reactions, read
markers, invitations, notifications, preferences, queued jobs; others' notifications that
named them name `deleted user`. The two-process scan of every store is tests/e2e/test_erasure.py."""

from __future__ import annotations

import pytest

from accounts.services import user_erase
from discussions import members, reactions
from discussions.models import Invitation, Reaction, ReadMarker
from discussions.selectors import reactions_snapshot
from discussions.services import message_post
from notifications import services
from notifications.models import DeliveryJob, DigestSent, Notification, Preferences
from realtime.models import TopicEvent

pytestmark = pytest.mark.django_db


def test_erasure_empties_notify_tables_and_anonymises_what_named_the_person(make_user, make_room):
    carol, alice, bob = make_user("carol"), make_user("alice"), make_user("bob")
    room = make_room(alice)
    own = make_room(carol, name="Chez carol", visibility="private")
    theirs = make_room(alice, name="Chez alice", visibility="private")
    posted = message_post(author=alice, room_id=room.id, body="samedi ?")
    reactions.reaction_set(user=carol, room_id=room.id, message_id=posted["id"], emoji="🎉")
    reactions.reaction_set(user=bob, room_id=room.id, message_id=posted["id"], emoji="🎉")
    reactions.read_marker_set(user=carol, room_id=room.id, seq=posted["seq"])
    services.preferences_set(user=carol, language="en", digest="hourly")
    members.room_invite(by=carol, room_id=own.id, username="bob")
    members.room_invite(by=alice, room_id=theirs.id, username="carol")
    message_post(author=carol, room_id=room.id, body="@bob d'accord", reply_to=posted["id"])
    services.deliveries_run()
    DigestSent.objects.create(user=carol, period="2026-11-29")
    # Still queued at the moment of erasure: a job for her and bob, naming her as the actor.
    services.notify(kind="mention", recipients=[carol.pk, bob.pk], data={"actor": "carol", "title": "x"})
    services.notify(kind="reply", recipients=[carol.pk], data={"actor": "alice"})
    assert Notification.objects.filter(user=carol).exists()
    assert Notification.objects.filter(user=bob, data__actor="carol").count() == 2  # invitation, mention
    version = reactions_snapshot(room.id)["version"]

    user_erase(user=carol, password="!")

    assert not Reaction.objects.filter(user=carol).exists()
    assert reactions_snapshot(room.id) == {"messages": {str(posted["id"]): {"🎉": 1}}, "version": version + 1}
    assert not ReadMarker.objects.filter(user=carol).exists()
    assert not Invitation.objects.filter(user=carol).exists()
    assert Invitation.objects.get(room=own).invited_by is None  # bob's invitation stays, from nobody
    assert not Notification.objects.filter(user=carol).exists()
    assert not Preferences.objects.filter(user=carol).exists()
    assert not DigestSent.objects.filter(user=carol).exists()
    personal = list(TopicEvent.objects.filter(topic=f"user:{carol.pk}").values_list("data", flat=True))
    assert len(personal) >= 1 and all(data == {"redacted": True} for data in personal)  # seqs kept, emptied
    assert [(j.kind, j.recipients, j.data["actor"]) for j in DeliveryJob.objects.all()] == [
        ("mention", [bob.pk], "deleted user")
    ]
    actors = set(Notification.objects.filter(user=bob).values_list("data__actor", flat=True))
    assert actors == {"deleted user"}
    services.deliveries_run()
    assert Notification.objects.filter(user=bob, data__actor="deleted user").count() == 3
    assert not Notification.objects.filter(user=carol).exists()
