"""Organisations: creation and the commune's news, membership with approval, admins acting for it,
admins' powers carried into its rooms and events and taken back, account erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from discussions.models import Membership
from discussions.selectors import room_moderated_by
from events.inputs import EventIn
from events.models import Event
from events.selectors import event_is_organiser
from organisations import services
from organisations.inputs import OrganisationPatch, OrganisationRoomIn
from organisations.models import Follower, Item, Member
from proposals.inputs import ProposalIn
from proposals.services import proposal_archive
from realtime.errors import AppError
from realtime.models import TopicEvent
from realtime.schemas import input_parse

pytestmark = pytest.mark.django_db


def kinds(topic: str) -> list[str]:
    return list(TopicEvent.objects.filter(topic=topic).order_by("seq").values_list("kind", flat=True))


def event_in(**fields) -> EventIn:
    starts = timezone.now() + timedelta(days=3)
    return input_parse(
        EventIn, {"title": "Atelier compost", "starts_at": starts, "ends_at": starts + timedelta(hours=2), **fields}
    )


def test_creation_makes_the_creator_admin_gives_a_room_and_is_news(make_user, make_organisation):
    alice = make_user()
    org = make_organisation(alice, name="Mairie de Saint-Denis", kind="public", tags=["Services Publics", "#mairie"])
    assert Member.objects.get(organisation=org, user=alice).role == Member.ADMIN
    assert org.tags == ["services-publics", "mairie"]
    # Without coordinates it sits at its commune's centre.
    assert (org.latitude, org.longitude) == (org.commune.latitude, org.commune.longitude)
    assert org.room is not None and room_moderated_by(room=org.room, user=alice)
    news = TopicEvent.objects.get(topic="commune:97411", kind="commune.organisation_created")
    assert news.data["id"] == org.id and news.data["kind"] == "public"


def test_bad_input_is_refused_with_a_clear_message(make_organisation):
    with pytest.raises(AppError) as kind:
        make_organisation(kind="sect")
    assert kind.value.code == "bad_request" and "kind" in kind.value.message
    with pytest.raises(AppError) as link:
        make_organisation(links=["javascript:alert(1)"])
    assert link.value.code == "bad_request" and "http" in link.value.message
    with pytest.raises(AppError) as commune:
        make_organisation(commune="00000")
    assert commune.value.code == "not_found"


def test_joining_waits_for_an_admin_and_the_admins_desk_hears_it(make_user, make_organisation):
    alice, bob, carol = make_user(), make_user(), make_user()
    org = make_organisation(alice, join_approval=True)
    assert services.organisation_join(user=bob, organisation_id=org.id) == {"status": "pending", "role": "member"}
    assert kinds(org.admin_topic) == ["membership.requested"]
    # A pending member is not a member: no room membership, no approving others.
    assert not Membership.objects.filter(room=org.room, user=bob).exists()
    with pytest.raises(AppError) as not_admin:
        services.membership_decide(by=carol, organisation_id=org.id, username=bob.username, decision="approve")
    assert not_admin.value.code == "forbidden"
    done = services.membership_decide(by=alice, organisation_id=org.id, username=bob.username, decision="approve")
    assert done == {"user": bob.username, "status": "active"}
    assert Membership.objects.get(room=org.room, user=bob).role == Membership.MEMBER
    assert kinds(org.topic) == ["organisation.member_joined"]
    with pytest.raises(AppError) as twice:
        services.membership_decide(by=alice, organisation_id=org.id, username=bob.username, decision="approve")
    assert twice.value.code == "conflict"
    services.organisation_join(user=carol, organisation_id=org.id)
    refused = services.membership_decide(by=alice, organisation_id=org.id, username=carol.username, decision="refuse")
    assert refused["status"] == "refused" and not Member.objects.filter(user=carol).exists()
    assert kinds(org.admin_topic) == ["membership.requested", "membership.decided"] * 2


def test_open_organisations_take_members_at_once_and_followers(make_user, make_organisation):
    alice, bob = make_user(), make_user()
    org = make_organisation(alice, join_approval=False)
    assert services.organisation_join(user=bob, organisation_id=org.id)["status"] == "active"
    assert services.organisation_follow(user=bob, organisation_id=org.id) == {"following": True, "followers": 1}
    assert services.organisation_follow(user=bob, organisation_id=org.id, follow=False)["followers"] == 0


def test_admins_act_for_it_and_a_removed_admin_loses_every_power(make_user, make_organisation):
    alice, bob, outsider = make_user(), make_user(), make_user()
    org = make_organisation(alice, join_approval=False)
    services.organisation_join(user=bob, organisation_id=org.id)
    services.member_role_set(by=alice, organisation_id=org.id, username=bob.username, role="admin")
    # Every admin organises its events, moderates its rooms, may archive its proposals.
    event = services.organisation_event_create(by=alice, organisation_id=org.id, event=event_in())
    room = services.organisation_room_create(
        by=bob, organisation_id=org.id, room=OrganisationRoomIn(name="Bureau", visibility="private")
    )
    proposal = services.organisation_proposal_create(
        by=alice, organisation_id=org.id, proposal=ProposalIn(title="Nouveau local", body="Louer le local de la rue")
    )
    row = Event.objects.get(id=event["id"])
    assert row.commune_id == "97411" and (row.latitude, row.longitude) == (org.latitude, org.longitude)
    assert event_is_organiser(event=row, user=bob)
    assert Membership.objects.get(room_id=room["id"], user=alice).role == Membership.MODERATOR
    assert Item.objects.filter(organisation=org).count() == 3
    with pytest.raises(AppError) as outside:
        services.organisation_event_create(by=outsider, organisation_id=org.id, event=event_in())
    assert outside.value.code == "forbidden"

    services.member_role_set(by=alice, organisation_id=org.id, username=bob.username, role="member")
    assert not event_is_organiser(event=row, user=bob)
    assert Membership.objects.get(room_id=room["id"], user=bob).role == Membership.MEMBER
    # bob created the private room (its owner): it passed to an admin.
    assert Membership.objects.get(room_id=room["id"], user=alice).role == Membership.OWNER
    assert not room_moderated_by(room=org.room, user=bob)
    with pytest.raises(AppError) as gone:
        services.organisation_update(by=bob, organisation_id=org.id, changes=OrganisationPatch(name="Pris"))
    assert gone.value.code == "forbidden"
    with pytest.raises(AppError) as archive:
        proposal_archive(user=bob, proposal_id=proposal["id"])
    assert archive.value.code == "forbidden"
    assert proposal_archive(user=alice, proposal_id=proposal["id"])["id"] == proposal["id"]
    assert "organisation.role_changed" in kinds(org.topic)


def test_the_last_admin_stays(make_user, make_organisation):
    alice, bob = make_user(), make_user()
    org = make_organisation(alice, join_approval=False)
    with pytest.raises(AppError) as leave:
        services.member_remove(by=alice, organisation_id=org.id, username=alice.username)
    assert leave.value.code == "conflict"
    with pytest.raises(AppError) as demote:
        services.member_role_set(by=alice, organisation_id=org.id, username=alice.username, role="member")
    assert demote.value.code == "conflict"
    services.organisation_join(user=bob, organisation_id=org.id)
    services.member_role_set(by=alice, organisation_id=org.id, username=bob.username, role="admin")
    assert services.member_remove(by=alice, organisation_id=org.id, username=alice.username)["status"] == "removed"
    with pytest.raises(AppError) as removed:
        services.member_remove(by=alice, organisation_id=org.id, username=bob.username)
    assert removed.value.code == "forbidden"


def test_an_organisation_proposal_opens_in_its_own_rooms_only(make_user, make_organisation, make_room):
    alice = make_user()
    org = make_organisation(alice)
    elsewhere = make_room(alice, name="Ailleurs")
    with pytest.raises(AppError) as foreign:
        services.organisation_proposal_create(
            by=alice, organisation_id=org.id, proposal=ProposalIn(title="T", body="B", room=elsewhere.id)
        )
    assert foreign.value.code == "bad_request"


def test_erasure_removes_memberships_and_follows_and_passes_the_organisation_on(make_user, make_organisation):
    from accounts.services import user_erase

    alice, bob = make_user(), make_user()
    alice.set_password("pw-for-erasure")
    alice.save()
    org = make_organisation(alice, join_approval=False)
    services.organisation_join(user=bob, organisation_id=org.id)
    services.organisation_follow(user=alice, organisation_id=org.id)
    event = services.organisation_event_create(by=alice, organisation_id=org.id, event=event_in())
    user_erase(user=alice, password="pw-for-erasure")
    assert not Member.objects.filter(user=alice).exists() and not Follower.objects.filter(user=alice).exists()
    assert Member.objects.get(organisation=org, user=bob).role == Member.ADMIN
    assert event_is_organiser(event=Event.objects.get(id=event["id"]), user=bob)
    org.refresh_from_db()
    assert org.created_by_id is None
