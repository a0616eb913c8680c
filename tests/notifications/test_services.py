"""Notifications as services: who is notified, who never is, marking read, preferences."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions import members
from discussions.models import Membership
from discussions.services import message_delete, message_post
from events.services import rsvp_set
from notifications import services
from notifications.models import DeliveryJob, Notification
from notifications.selectors import unread_snapshot
from realtime.errors import AppError
from realtime.models import TopicEvent

pytestmark = pytest.mark.django_db


def _user_events(user) -> list[dict]:
    return list(TopicEvent.objects.filter(topic=f"user:{user.pk}").order_by("seq").values("kind", "data"))


def _post_and_deliver(django_capture_on_commit_callbacks, **kwargs) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        result = message_post(**kwargs)
    services.deliveries_run()
    return result


def test_a_mention_of_50_among_1000_members_is_delivered_after_the_posters_commit(
    make_user, make_room, django_capture_on_commit_callbacks
):
    poster = make_user("poster")
    room = make_room(poster, visibility="private")
    user_model = get_user_model()
    user_model.objects.bulk_create([user_model(username=f"m{i:04d}", password="!") for i in range(1000)])
    people = list(user_model.objects.filter(username__startswith="m").order_by("username"))
    Membership.objects.bulk_create([Membership(room=room, user=u) for u in people])
    mentioned = people[::20]
    assert len(mentioned) == 50
    body = "Réunion demain " + " ".join(f"@{u.username}" for u in mentioned)

    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message_post(author=poster, room_id=room.id, body=body)
    # Structurally off the critical path: the poster's transaction wrote one outbox row and no
    # notification; the fan-out is handed to a background worker once the write committed.
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "notifications_notification" not in sql
    assert "user:" not in sql
    assert Notification.objects.count() == 0
    assert DeliveryJob.objects.count() == 1
    assert services.deliveries_kick in callbacks

    assert services.deliveries_run() == 50
    assert set(Notification.objects.values_list("user_id", flat=True)) == {u.pk for u in mentioned}
    assert Notification.objects.filter(kind="mention").count() == 50
    assert TopicEvent.objects.filter(topic__startswith="user:", kind="notification.created").count() == 50
    assert DeliveryJob.objects.count() == 0
    assert services.deliveries_run() == 0  # delivered once


def test_a_mention_in_a_private_room_of_an_outsider_notifies_nobody(
    make_user, make_room, django_capture_on_commit_callbacks
):
    owner, outsider = make_user("owner"), make_user("outsider")
    room = make_room(owner, visibility="private")
    _post_and_deliver(django_capture_on_commit_callbacks, author=owner, room_id=room.id, body="coucou @outsider")
    assert Notification.objects.filter(user=outsider).count() == 0
    assert _user_events(outsider) == []
    assert DeliveryJob.objects.count() == 0


def test_a_reply_to_someone_who_no_longer_reads_the_room_notifies_nobody(
    make_user, make_room, django_capture_on_commit_callbacks
):
    owner, former = make_user("owner"), make_user("former")
    room = make_room(owner, visibility="private")
    Membership.objects.create(room=room, user=former)
    first = message_post(author=former, room_id=room.id, body="je pars bientôt")
    members.room_leave(user=former, room_id=room.id)
    _post_and_deliver(
        django_capture_on_commit_callbacks, author=owner, room_id=room.id, body="dommage", reply_to=first["id"]
    )
    assert Notification.objects.filter(user=former).count() == 0
    assert _user_events(former) == []


def test_the_delivery_rechecks_access_that_changed_after_the_post(
    make_user, make_room, django_capture_on_commit_callbacks
):
    owner, member = make_user("owner"), make_user("member")
    room = make_room(owner, visibility="private")
    Membership.objects.create(room=room, user=member)
    with django_capture_on_commit_callbacks(execute=False):
        message_post(author=owner, room_id=room.id, body="@member tu es là ?")
    members.member_remove(by=owner, room_id=room.id, username="member")
    assert services.deliveries_run() == 0
    assert _user_events(member) == []


def test_a_reply_notifies_the_parent_author_once_even_when_also_mentioned(
    make_user, make_room, django_capture_on_commit_callbacks
):
    alice, bob = make_user("alice"), make_user("bob")
    room = make_room(alice)
    first = message_post(author=alice, room_id=room.id, body="qui vient ?")
    _post_and_deliver(
        django_capture_on_commit_callbacks, author=bob, room_id=room.id, body="moi @alice", reply_to=first["id"]
    )
    _post_and_deliver(
        django_capture_on_commit_callbacks, author=bob, room_id=room.id, body="et toi", reply_to=first["id"]
    )
    assert list(Notification.objects.filter(user=alice).order_by("id").values_list("kind", flat=True)) == [
        "mention",
        "reply",
    ]
    assert [e["data"]["kind"] for e in _user_events(alice)] == ["mention", "reply"]
    assert Notification.objects.filter(user=bob).count() == 0  # nobody is told of their own words


def test_waitlist_promotion_notifies_the_promoted_person_only(
    make_user, make_event, django_capture_on_commit_callbacks
):
    seated, waiting, other = make_user("seated"), make_user("waiting"), make_user("other")
    event = make_event(capacity=1)
    rsvp_set(user=seated, event_id=event.id, status="going")
    assert rsvp_set(user=waiting, event_id=event.id, status="going")["status"] == "waitlisted"
    with django_capture_on_commit_callbacks(execute=True):
        rsvp_set(user=seated, event_id=event.id, status="declined")
    services.deliveries_run()
    [event_frame] = _user_events(waiting)
    assert event_frame["kind"] == "notification.created"
    assert event_frame["data"]["kind"] == "waitlist_promoted"
    assert event_frame["data"]["data"]["event"] == event.id
    assert Notification.objects.exclude(user=waiting).count() == 0
    assert _user_events(other) == [] and _user_events(seated) == []


def test_marking_read_one_then_all_moves_the_unread_state(make_user, make_room, django_capture_on_commit_callbacks):
    alice, bob = make_user("alice"), make_user("bob")
    room = make_room(alice)
    for n in range(3):
        _post_and_deliver(django_capture_on_commit_callbacks, author=bob, room_id=room.id, body=f"@alice {n}")
    first = unread_snapshot(alice.pk)
    assert first["unread"] == 3
    one = Notification.objects.filter(user=alice).order_by("id").first()
    assert services.notification_read(user=alice, notification_id=one.id)["read"] == [one.id]
    second = unread_snapshot(alice.pk)
    assert second["unread"] == 2 and second["version"] > first["version"]
    assert len(services.notification_read(user=alice)["read"]) == 2
    assert unread_snapshot(alice.pk)["unread"] == 0
    assert [e["kind"] for e in _user_events(alice)][-2:] == ["notification.read", "notification.read"]


def test_marking_someone_elses_notification_read_is_refused_and_changes_nothing(
    make_user, make_room, django_capture_on_commit_callbacks
):
    alice, bob = make_user("alice"), make_user("bob")
    room = make_room(alice)
    _post_and_deliver(django_capture_on_commit_callbacks, author=bob, room_id=room.id, body="@alice regarde")
    theirs = Notification.objects.get(user=alice)
    before = len(_user_events(bob))
    with pytest.raises(AppError) as error:
        services.notification_read(user=bob, notification_id=theirs.id)
    assert error.value.code == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert len(_user_events(bob)) == before


def test_preferences_switch_a_kind_off_in_app_and_mute_a_room(make_user, make_room, django_capture_on_commit_callbacks):
    alice, bob = make_user("alice"), make_user("bob")
    room, other = make_room(alice, name="Un"), make_room(alice, name="Deux")
    services.preferences_set(user=alice, kinds={"mention": {"app": False}})
    _post_and_deliver(django_capture_on_commit_callbacks, author=bob, room_id=room.id, body="@alice 1")
    assert _user_events(alice) == []
    services.preferences_set(user=alice, kinds={"mention": {"app": True}})
    services.subject_mute(user=alice, subject=room.topic, muted=True)
    _post_and_deliver(django_capture_on_commit_callbacks, author=bob, room_id=room.id, body="@alice 2")
    _post_and_deliver(django_capture_on_commit_callbacks, author=bob, room_id=other.id, body="@alice 3")
    assert [e["data"]["data"]["excerpt"] for e in _user_events(alice)] == ["@alice 3"]
    with pytest.raises(AppError) as error:
        services.preferences_set(user=alice, kinds={"nonsense": {"app": False}})
    assert error.value.code == "bad_request"


def test_a_moderated_message_tells_its_author_and_not_their_own_deletion(
    make_user, make_room, django_capture_on_commit_callbacks
):
    owner, author = make_user("owner"), make_user("author")
    room = make_room(owner)
    first = message_post(author=author, room_id=room.id, body="hors sujet")
    second = message_post(author=author, room_id=room.id, body="oups")
    with django_capture_on_commit_callbacks(execute=True):
        message_delete(user=author, room_id=room.id, message_id=second["id"])
        message_delete(user=owner, room_id=room.id, message_id=first["id"])
    services.deliveries_run()
    [note] = Notification.objects.filter(user=author)
    assert (note.kind, note.data["excerpt"], note.data["action"]) == ("moderation", "hors sujet", "message_deleted")
    assert "owner" not in str(note.data)
