"""Service tests: RSVPs, capacity and waitlist, check-in, updates and cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions.models import Membership, Room
from discussions.services import room_create
from events import services
from events.inputs import RsvpIn
from events.models import Event, Rsvp
from events.selectors import attendance_snapshot
from realtime import ratelimit
from realtime.errors import AppError
from realtime.models import TopicEvent
from realtime.schemas import input_parse

pytestmark = pytest.mark.django_db


def _counts(event: Event) -> dict:
    """The counters recomputed from the RSVP rows, to compare with the denormalised ones."""
    rows = Rsvp.objects.filter(event=event)
    return {
        "going": rows.filter(status="going").count(),
        "waitlisted": rows.filter(status="waitlisted").count(),
        "interested": rows.filter(status="interested").count(),
        "checked_in": rows.filter(checked_in_at__isnull=False).count(),
    }


def _snapshot_counts(event: Event) -> dict:
    snap = attendance_snapshot(event.id)
    return {k: snap[k] for k in ("going", "waitlisted", "interested", "checked_in")}


def _kinds(event: Event) -> list[str]:
    return list(TopicEvent.objects.filter(topic=event.topic).order_by("seq").values_list("kind", flat=True))


def test_create_gives_the_event_a_room_moderated_by_its_organisers(make_user, make_event):
    marie = make_user("marie")
    make_user("jean")
    event = make_event(marie, organisers=["jean"], capacity=10)
    assert set(event.organisers.values_list("username", flat=True)) == {"marie", "jean"}
    roles = dict(Membership.objects.filter(room=event.room).values_list("user__username", "role"))
    assert roles == {"marie": "owner", "jean": "moderator"}
    assert attendance_snapshot(event.id) == {
        "going": 0,
        "waitlisted": 0,
        "interested": 0,
        "checked_in": 0,
        "capacity": 10,
        "seats_left": 10,
        "status": "scheduled",
        "version": 0,
    }


def test_create_without_coordinates_places_the_event_at_its_commune(make_event, communes):
    event = make_event(commune="97411")
    assert event.commune_id == "97411"
    assert event.latitude is not None and event.longitude is not None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"capacity": -1}, "capacity"),
        ({"title": ""}, "title"),
        ({"type": "rave"}, "type"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"latitude": 95.0, "longitude": 55.0}, "latitude"),
        ({"latitude": -21.0}, "both"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(make_user, make_event, fields, message):
    organiser = make_user()
    with pytest.raises(AppError) as error:
        make_event(organiser, **fields)
    assert error.value.code == "bad_request" and message in error.value.message
    assert not Event.objects.exists()


def test_create_rejects_an_end_before_the_start(make_user, make_event):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(AppError) as error:
        make_event(starts_at=start, ends_at=start - timedelta(minutes=1))
    assert error.value.code == "bad_request" and "ends_at" in error.value.message
    assert not Event.objects.exists()


def test_naive_times_are_read_in_the_event_time_zone(make_user, make_event):
    event = make_event(title="Marché", starts_at="2031-03-01T08:00:00", ends_at="2031-03-01T12:00:00")
    assert event.starts_at.isoformat() == "2031-03-01T04:00:00+00:00"  # Réunion is UTC+4


def test_going_until_full_then_waitlisted_in_arrival_order(make_user, make_event):
    event = make_event(capacity=2)
    people = [make_user() for _ in range(5)]
    results = [services.rsvp_set(user=u, event_id=event.id, status="going") for u in people]
    assert [r["status"] for r in results] == ["going", "going", "waitlisted", "waitlisted", "waitlisted"]
    assert [r["waitlist_position"] for r in results] == [None, None, 1, 2, 3]
    event.refresh_from_db()
    assert _snapshot_counts(event) == _counts(event) == {"going": 2, "waitlisted": 3, "interested": 0, "checked_in": 0}
    assert attendance_snapshot(event.id)["seats_left"] == 0


def test_a_declining_seat_goes_to_the_head_of_the_waitlist_in_the_same_transaction(make_user, make_event):
    event = make_event(capacity=1, show_participants=True)
    first, second, third = make_user(), make_user(), make_user()
    for user in (first, second, third):
        services.rsvp_set(user=user, event_id=event.id, status="going")
    version = attendance_snapshot(event.id)["version"]
    services.rsvp_set(user=first, event_id=event.id, status="declined")
    statuses = dict(Rsvp.objects.filter(event=event).values_list("user_id", "status"))
    assert statuses == {first.id: "declined", second.id: "going", third.id: "waitlisted"}
    promoted = TopicEvent.objects.get(topic=event.topic, kind="rsvp.promoted")
    assert promoted.data == {"rsvp": Rsvp.objects.get(user=second).id, "user": second.username, "status": "going"}
    assert attendance_snapshot(event.id)["version"] > version
    event.refresh_from_db()
    assert _snapshot_counts(event) == _counts(event)


def test_promotion_hides_the_username_when_participants_are_private(make_user, make_event):
    event = make_event(capacity=1)
    first, second = make_user(), make_user()
    services.rsvp_set(user=first, event_id=event.id, status="going")
    services.rsvp_set(user=second, event_id=event.id, status="going")
    services.rsvp_set(user=first, event_id=event.id, status="interested")
    promoted = TopicEvent.objects.get(topic=event.topic, kind="rsvp.promoted")
    assert promoted.data["user"] is None and promoted.data["rsvp"] == Rsvp.objects.get(user=second).id


def test_going_again_keeps_ones_seat_or_place(make_user, make_event):
    event = make_event(capacity=1)
    first, second = make_user(), make_user()
    services.rsvp_set(user=first, event_id=event.id, status="going")
    services.rsvp_set(user=second, event_id=event.id, status="going")
    again = services.rsvp_set(user=second, event_id=event.id, status="going")
    assert again == {"status": "waitlisted", "rsvp": again["rsvp"], "waitlist_position": 1, "changed": False}
    assert services.rsvp_set(user=first, event_id=event.id, status="going")["status"] == "going"


def test_a_waitlisted_person_leaving_does_not_promote_anyone(make_user, make_event):
    event = make_event(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    for user in (a, b, c):
        services.rsvp_set(user=user, event_id=event.id, status="going")
    services.rsvp_set(user=b, event_id=event.id, status="declined")
    assert services.rsvp_set(user=c, event_id=event.id, status="going")["waitlist_position"] == 1
    assert not TopicEvent.objects.filter(topic=event.topic, kind="rsvp.promoted").exists()


def test_rejoining_goes_to_the_back_of_the_waitlist(make_user, make_event):
    event = make_event(capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    for user in (a, b, c):
        services.rsvp_set(user=user, event_id=event.id, status="going")
    services.rsvp_set(user=b, event_id=event.id, status="interested")
    assert services.rsvp_set(user=b, event_id=event.id, status="going")["waitlist_position"] == 2
    services.rsvp_set(user=a, event_id=event.id, status="declined")
    assert Rsvp.objects.get(user=c).status == "going"


def test_unknown_status_is_a_bad_request_and_changes_nothing(make_user, make_event):
    event = make_event(capacity=5)
    user = make_user()
    for status in ("maybe", "waitlisted", "invited", ""):
        with pytest.raises(AppError) as error:
            answer = input_parse(RsvpIn, {"status": status})  # what HTTP and the socket parse
            services.rsvp_set(user=user, event_id=event.id, status=answer.status)
        assert error.value.code == "bad_request"
    assert not Rsvp.objects.exists()
    assert attendance_snapshot(event.id)["version"] == 0


def test_rsvp_is_idempotent_by_ref(make_user, make_event):
    event = make_event(capacity=1)
    first, second = make_user(), make_user()
    services.rsvp_set(user=first, event_id=event.id, status="going", ref="r1")
    services.rsvp_set(user=second, event_id=event.id, status="going", ref="r1")
    replay = services.rsvp_set(user=first, event_id=event.id, status="going", ref="r1")
    assert replay["status"] == "going"
    services.rsvp_set(user=first, event_id=event.id, status="declined", ref="r2")
    # The resent decline changes nothing more: the promoted second person keeps their seat.
    services.rsvp_set(user=first, event_id=event.id, status="declined", ref="r2")
    assert Rsvp.objects.get(user=second).status == "going"
    assert _kinds(event).count("rsvp.promoted") == 1


def test_raising_capacity_promotes_and_lowering_never_drops_anyone(make_user, make_event, patch):
    event = make_event(capacity=2)
    organiser = event.created_by
    people = [make_user() for _ in range(5)]
    for user in people:
        services.rsvp_set(user=user, event_id=event.id, status="going")
    services.event_update(by=organiser, event_id=event.id, changes=patch(capacity=3))
    assert [Rsvp.objects.get(user=u).status for u in people] == ["going"] * 3 + ["waitlisted"] * 2
    services.event_update(by=organiser, event_id=event.id, changes=patch(capacity=1))
    snapshot = attendance_snapshot(event.id)
    assert (snapshot["going"], snapshot["capacity"], snapshot["seats_left"]) == (3, 1, 0)
    # Leaving does not promote while the event is still over its (lowered) capacity.
    services.rsvp_set(user=people[0], event_id=event.id, status="declined")
    assert Rsvp.objects.get(user=people[3]).status == "waitlisted"
    newcomer = make_user()
    assert services.rsvp_set(user=newcomer, event_id=event.id, status="going")["status"] == "waitlisted"
    services.event_update(by=organiser, event_id=event.id, changes=patch(capacity=None))
    assert Rsvp.objects.filter(event=event, status="waitlisted").count() == 0
    assert _kinds(event).count("event.updated") == 3


def test_update_publishes_the_changed_fields(make_user, make_event, patch):
    event = make_event()
    result = services.event_update(
        by=event.created_by, event_id=event.id, changes=patch(**{"title": "Nouveau titre", "type": "debate"})
    )
    assert result["changed"] == ["title", "type"] and result["revision"] == 1
    published = TopicEvent.objects.get(topic=event.topic, kind="event.updated")
    assert published.data == {"changed": {"title": "Nouveau titre", "type": "debate"}, "revision": 1}
    event.room.refresh_from_db()
    assert event.room.name == "Nouveau titre"
    nothing = services.event_update(by=event.created_by, event_id=event.id, changes=patch(title="Nouveau titre"))
    assert nothing["changed"] == [] and _kinds(event) == ["event.updated"]


def test_bad_update_changes_nothing(make_user, make_event, patch):
    event = make_event(capacity=4)
    for changes in (
        {"capacity": -3},
        {"ends_at": event.starts_at - timedelta(hours=1)},
        {"colour": "red"},
        {"organisers": []},
    ):
        with pytest.raises(AppError) as error:
            services.event_update(by=event.created_by, event_id=event.id, changes=patch(**changes))
        assert error.value.code == "bad_request"
    fresh = Event.objects.get(id=event.id)
    assert (fresh.capacity, fresh.ends_at, fresh.revision) == (4, event.ends_at, 0)
    assert _kinds(event) == []


def test_only_organisers_update_cancel_check_in_and_remove(make_user, make_event, patch):
    event = make_event(capacity=3)
    stranger = make_user()
    attendee = make_user()
    code = Rsvp.objects.get(id=services.rsvp_set(user=attendee, event_id=event.id, status="going")["rsvp"]).code
    attempts = [
        lambda: services.event_update(by=stranger, event_id=event.id, changes=patch(title="Pris")),
        lambda: services.event_cancel(by=stranger, event_id=event.id),
        lambda: services.checkin(by=attendee, event_id=event.id, code=code),
        lambda: services.rsvp_remove(by=stranger, event_id=event.id, username=attendee.username),
        lambda: services.event_invite(by=stranger, event_id=event.id, usernames=[attendee.username]),
    ]
    for attempt in attempts:
        with pytest.raises(AppError) as error:
            attempt()
        assert error.value.code == "forbidden"
    fresh = Event.objects.get(id=event.id)
    assert (fresh.title, fresh.status, fresh.checked_in_count) == (event.title, "scheduled", 0)
    with pytest.raises(AppError) as error:
        services.event_update(by=None, event_id=event.id, changes=patch(title="x"))
    assert error.value.code == "auth_required"


def test_cancel_is_sequenced_and_closes_rsvps(make_user, make_event, patch):
    event = make_event()
    services.event_cancel(by=event.created_by, event_id=event.id, reason="Alerte cyclonique")
    assert _kinds(event) == ["event.cancelled"]
    assert TopicEvent.objects.get(topic=event.topic).data == {"reason": "Alerte cyclonique", "revision": 1}
    assert attendance_snapshot(event.id)["status"] == "cancelled"
    for attempt in (
        lambda: services.event_cancel(by=event.created_by, event_id=event.id),
        lambda: services.rsvp_set(user=make_user(), event_id=event.id, status="going"),
        lambda: services.event_update(by=event.created_by, event_id=event.id, changes=patch(title="x")),
    ):
        with pytest.raises(AppError) as error:
            attempt()
        assert error.value.code == "conflict"


def test_check_in_then_again_then_undo(make_user, make_event):
    event = make_event(capacity=2)
    guest = make_user("guest")
    services.rsvp_set(user=guest, event_id=event.id, status="going")
    code = Rsvp.objects.get(user=guest).code
    result = services.checkin(by=event.created_by, event_id=event.id, code=code.lower())
    assert result["user"] == "guest" and result["checked_in"] is True
    with pytest.raises(AppError) as error:
        services.checkin(by=event.created_by, event_id=event.id, code=code)
    assert error.value.code == "conflict" and "already checked in" in error.value.message
    assert attendance_snapshot(event.id)["checked_in"] == 1
    services.checkin_undo(by=event.created_by, event_id=event.id, code=code)
    assert attendance_snapshot(event.id)["checked_in"] == 0
    with pytest.raises(AppError) as error:
        services.checkin_undo(by=event.created_by, event_id=event.id, code=code)
    assert error.value.code == "conflict"


def test_check_in_of_a_foreign_or_waitlisted_code_is_refused(make_user, make_event):
    event, other = make_event(capacity=1), make_event()
    first, second, elsewhere = make_user(), make_user(), make_user()
    services.rsvp_set(user=first, event_id=event.id, status="going")
    services.rsvp_set(user=second, event_id=event.id, status="going")
    services.rsvp_set(user=elsewhere, event_id=other.id, status="going")
    with pytest.raises(AppError) as error:
        services.checkin(by=event.created_by, event_id=event.id, code=Rsvp.objects.get(user=elsewhere).code)
    assert error.value.code == "not_found"
    with pytest.raises(AppError) as error:
        services.checkin(by=event.created_by, event_id=event.id, code=Rsvp.objects.get(user=second).code)
    assert error.value.code == "conflict" and "waitlisted" in error.value.message
    assert Rsvp.objects.filter(checked_in_at__isnull=False).count() == 0


def test_a_checked_in_person_leaving_is_no_longer_counted(make_user, make_event):
    event = make_event(capacity=1)
    first, second = make_user(), make_user()
    services.rsvp_set(user=first, event_id=event.id, status="going")
    services.rsvp_set(user=second, event_id=event.id, status="going")
    services.checkin(by=event.created_by, event_id=event.id, code=Rsvp.objects.get(user=first).code)
    services.rsvp_remove(by=event.created_by, event_id=event.id, username=first.username)
    event.refresh_from_db()
    assert _snapshot_counts(event) == _counts(event) == {"going": 1, "waitlisted": 0, "interested": 0, "checked_in": 0}


def test_invite_only_events_are_visible_to_invitees_who_accept_or_decline(make_user, make_event):
    from events.selectors import event_get_visible, event_list

    event = make_event(invite_only=True, capacity=10)
    invitee, outsider = make_user(), make_user()
    for user in (outsider, None):
        with pytest.raises(AppError) as error:
            event_get_visible(event_id=event.id, user=user)
        assert error.value.code == "not_found"
        assert event not in event_list(user=user)
    with pytest.raises(AppError) as error:
        services.rsvp_set(user=outsider, event_id=event.id, status="going")
    assert error.value.code == "not_found"
    services.event_invite(by=event.created_by, event_id=event.id, usernames=[invitee.username])
    assert event_get_visible(event_id=event.id, user=invitee) == event
    assert Membership.objects.filter(room=event.room, user=invitee).exists()
    assert event.room.visibility == "private"
    assert services.rsvp_set(user=invitee, event_id=event.id, status="going")["status"] == "going"
    assert services.rsvp_set(user=invitee, event_id=event.id, status="declined")["status"] == "declined"


def test_sub_events_need_an_organiser_of_the_parent(make_user, make_event, patch):
    parent = make_event()
    stranger = make_user()
    with pytest.raises(AppError) as error:
        make_event(stranger, parent=parent.id)
    assert error.value.code == "forbidden"
    child = make_event(parent.created_by, parent=parent.id, title="Atelier")
    assert list(parent.sub_events.all()) == [child]
    with pytest.raises(AppError) as error:
        services.event_update(by=parent.created_by, event_id=parent.id, changes=patch(parent=child.id))
    assert error.value.code == "bad_request"


def test_rsvp_to_an_event_that_is_over_is_a_conflict(make_user, make_event):
    start = timezone.now() - timedelta(hours=3)
    event = make_event(starts_at=start, ends_at=start + timedelta(hours=1))
    with pytest.raises(AppError) as error:
        services.rsvp_set(user=make_user(), event_id=event.id, status="going")
    assert error.value.code == "conflict"


def test_a_write_inside_a_write_costs_one_token(make_user, settings, make_event):
    organiser = make_user()
    settings.RATE_LIMIT_BURST = 1
    settings.RATE_LIMIT_PER_SECOND = 0.1
    ratelimit._buckets.clear()
    event = make_event(organiser)  # creates its room with room_create, inside the same write
    assert event.room_id is not None and Room.objects.filter(id=event.room_id).exists()
    with pytest.raises(AppError) as error:
        room_create(creator=organiser, name="Encore")
    assert error.value.code == "rate_limited"
