"""Private rooms that work: invitations, leaving, removal, roles, transfer; reactions; read markers."""

from __future__ import annotations

import pytest

from discussions import members, reactions
from discussions.models import Invitation, Membership, Reaction
from discussions.selectors import reactions_snapshot, room_get_readable, unread_counts
from discussions.services import message_post
from notifications import services
from notifications.models import Notification
from realtime.errors import AppError
from realtime.models import TopicEvent

pytestmark = pytest.mark.django_db


def _code(call) -> str:
    with pytest.raises(AppError) as error:
        call()
    return error.value.code


def test_invite_accept_then_the_room_is_readable_and_the_invitee_was_notified(
    make_user, make_room, django_capture_on_commit_callbacks
):
    owner, friend = make_user("owner"), make_user("friend", email="friend@example.org")
    room = make_room(owner, name="Jardin partagé", visibility="private")
    assert _code(lambda: room_get_readable(room_id=room.id, user=friend)) == "not_found"
    with django_capture_on_commit_callbacks(execute=True):
        invited = members.room_invite(by=owner, room_id=room.id, username="friend")
    services.deliveries_run()
    note = Notification.objects.get(user=friend)
    assert (note.kind, note.email, note.data["invitation"]) == ("room_invitation", "immediate", invited["invitation"])
    answer = members.invitation_answer(user=friend, invitation_id=invited["invitation"], accept=True)
    assert answer["status"] == "accepted"
    assert room_get_readable(room_id=room.id, user=friend) == room
    assert TopicEvent.objects.filter(topic=room.topic, kind="member.joined").count() == 1


def test_decline_leaves_no_membership_and_an_answer_is_given_once(make_user, make_room):
    owner, friend = make_user("owner"), make_user("friend")
    room = make_room(owner, visibility="private")
    invitation = members.room_invite(by=owner, room_id=room.id, username="friend")["invitation"]
    assert _code(lambda: members.invitation_answer(user=owner, invitation_id=invitation, accept=True)) == "not_found"
    members.invitation_answer(user=friend, invitation_id=invitation, accept=False)
    assert _code(lambda: members.invitation_answer(user=friend, invitation_id=invitation, accept=True)) == "conflict"
    assert not Membership.objects.filter(room=room, user=friend).exists()


def test_inviting_an_unknown_username_is_a_clear_error_and_changes_nothing(make_user, make_room):
    owner, member, closed = make_user("owner"), make_user("member"), make_user("closed", is_active=False)
    room = make_room(owner, visibility="private")
    Membership.objects.create(room=room, user=member)
    unknown = _code(lambda: members.room_invite(by=owner, room_id=room.id, username="nobody"))
    inactive = _code(lambda: members.room_invite(by=owner, room_id=room.id, username=closed.username))
    assert unknown == inactive == "not_found"  # a closed account reads as unknown: nothing to enumerate
    # A plain member may not invite, and learns nothing about the name either way.
    assert _code(lambda: members.room_invite(by=member, room_id=room.id, username="nobody")) == "forbidden"
    assert _code(lambda: members.room_invite(by=member, room_id=room.id, username="owner")) == "forbidden"
    assert Invitation.objects.count() == 0 and Notification.objects.count() == 0


def test_owner_removes_changes_roles_transfers_and_members_leave(make_user, make_room):
    owner, mod, member = make_user("owner"), make_user("mod"), make_user("member")
    room = make_room(owner, visibility="private")
    for user in (mod, member):
        invitation = members.room_invite(by=owner, room_id=room.id, username=user.username)["invitation"]
        members.invitation_answer(user=user, invitation_id=invitation, accept=True)
    members.member_role_set(by=owner, room_id=room.id, username="mod", role="moderator")
    assert _code(lambda: members.room_leave(user=owner, room_id=room.id)) == "conflict"  # last owner
    members.member_remove(by=owner, room_id=room.id, username="member")
    assert _code(lambda: room_get_readable(room_id=room.id, user=member)) == "not_found"
    members.owner_transfer(by=owner, room_id=room.id, username="mod")
    roles = dict(Membership.objects.filter(room=room).values_list("user__username", "role"))
    assert roles == {"owner": "moderator", "mod": "owner"}
    members.room_leave(user=owner, room_id=room.id)
    kinds = list(TopicEvent.objects.filter(topic=room.topic).values_list("kind", flat=True))
    assert kinds == [
        "member.joined",
        "member.joined",
        "member.role",
        "member.removed",
        "owner.transferred",
        "member.left",
    ]


def test_the_one_removal_rule(make_user, make_room):
    """Owner removes members and moderators; a moderator removes plain members only; nobody
    removes the owner; a plain member removes nobody; naming oneself is leaving."""
    owner, mod, mod2, alice, bob = (make_user(name) for name in ("owner", "mod", "mod2", "alice", "bob"))
    room = make_room(owner, visibility="private")
    for user, role in ((mod, "moderator"), (mod2, "moderator"), (alice, "member"), (bob, "member")):
        Membership.objects.create(room=room, user=user, role=role)
    remove = members.member_remove
    assert _code(lambda: remove(by=alice, room_id=room.id, username="bob")) == "forbidden"
    assert _code(lambda: remove(by=mod, room_id=room.id, username="mod2")) == "forbidden"
    assert _code(lambda: remove(by=mod, room_id=room.id, username="owner")) == "conflict"
    assert _code(lambda: remove(by=owner, room_id=room.id, username="owner")) == "conflict"  # last owner: transfer
    assert _code(lambda: remove(by=mod, room_id=room.id, username="nobody")) == "not_found"
    assert set(Membership.objects.filter(room=room).values_list("user__username", flat=True)) == {
        "owner",
        "mod",
        "mod2",
        "alice",
        "bob",
    }
    remove(by=mod, room_id=room.id, username="alice")  # a moderator removes a plain member
    remove(by=owner, room_id=room.id, username="mod2")  # the owner removes a moderator
    remove(by=bob, room_id=room.id, username="bob")  # naming oneself is leaving
    assert set(Membership.objects.filter(room=room).values_list("user__username", flat=True)) == {"owner", "mod"}
    events = list(TopicEvent.objects.filter(topic=room.topic).values_list("kind", "data"))
    assert events == [
        ("member.removed", {"user": "alice"}),
        ("member.removed", {"user": "mod2"}),
        ("member.left", {"user": "bob"}),
    ]


def test_reactions_one_per_person_per_emoji_and_outside_the_set_refused(make_user, make_room):
    alice, bob = make_user("alice"), make_user("bob")
    room = make_room(alice)
    message = message_post(author=alice, room_id=room.id, body="fête samedi")["id"]
    assert reactions.reaction_set(user=bob, room_id=room.id, message_id=message, emoji="🎉")["count"] == 1
    assert reactions.reaction_set(user=bob, room_id=room.id, message_id=message, emoji="🎉")["count"] == 1
    assert reactions.reaction_set(user=alice, room_id=room.id, message_id=message, emoji="🎉")["count"] == 2
    assert _code(lambda: reactions.reaction_set(user=bob, room_id=room.id, message_id=message, emoji="💩")) == (
        "bad_request"
    )
    taken_back = reactions.reaction_set(user=bob, room_id=room.id, message_id=message, emoji="🎉", on=False)
    assert (taken_back["count"], taken_back["version"]) == (1, 3)  # the repeated click changed nothing
    assert list(Reaction.objects.values_list("user__username", "emoji")) == [("alice", "🎉")]
    # No event per click: the room's `reactions` state carries the counts.
    assert not TopicEvent.objects.filter(topic=room.topic).exclude(kind="message.posted").exists()
    assert reactions_snapshot(room.id) == {"messages": {str(message): {"🎉": 1}}, "version": 3}
    assert reactions_snapshot(make_room(alice).id) is None  # never reacted: no frame


def test_read_marker_gives_unread_counts_and_never_moves_back(make_user, make_room):
    alice, bob = make_user("alice"), make_user("bob")
    room = make_room(alice)
    seqs = [message_post(author=bob, room_id=room.id, body=f"n°{n}")["seq"] for n in range(4)]
    message_post(author=alice, room_id=room.id, body="mon propre message")
    assert unread_counts(user=alice, room_ids=[room.id])[room.id] == {"read_seq": 0, "unread": 4}
    reactions.read_marker_set(user=alice, room_id=room.id, seq=seqs[1])
    assert reactions.read_marker_set(user=alice, room_id=room.id, seq=seqs[0])["read_seq"] == seqs[1]
    assert unread_counts(user=alice, room_ids=[room.id])[room.id] == {"read_seq": seqs[1], "unread": 2}
