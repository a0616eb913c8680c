"""Private rooms that work: invite by username, answer, leave, remove, change roles, transfer.

Each is a user write (`user_write`: signed in, rate limited, idempotent by `ref`, one
transaction) that publishes a sequenced event on the room topic on commit; a removal or a
departure goes through `room_access_revoked`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from discussions.models import Invitation, Membership, Room
from discussions.selectors import room_get_readable, room_role
from notifications.services import notify
from realtime.access import topic_access_changed
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.writes import user_write

MANAGERS = (Membership.OWNER, Membership.MODERATOR)
ROLES = (Membership.MEMBER, Membership.MODERATOR)


def _manager_room(*, by, room_id: int, owners_only: bool = False) -> Room:
    room = room_get_readable(room_id=room_id, user=by)
    if room_role(room=room, user=by) not in ((Membership.OWNER,) if owners_only else MANAGERS):
        raise AppError("forbidden", "only the room's " + ("owners" if owners_only else "owners and moderators"))
    return room


def _user_named(username: str):
    # The same answer whether the name never existed or the account is closed: nothing more leaks.
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise AppError("not_found", f"no user named {username[:150]!r}")
    return user


def _member(room: Room, username: str, *, lock: bool = False) -> Membership:
    rows = room.memberships.select_related("user")
    member = (rows.select_for_update() if lock else rows).filter(user__username=username).first()
    if member is None:
        raise AppError("not_found", f"{username[:150]!r} is not a member of this room")
    return member


def room_access_revoked(*, room: Room, user_id: int) -> None:
    """The one place a person loses a room: the live re-authorisation hooks in here.

    On commit, `member.removed` / `member.left` reaches the room's subscribers (the removed
    person's client leaves the page on it); `topic_access_changed` re-checks the room's live
    subscriptions on every process, so their sockets stop receiving a private room too.
    """
    room.memberships.filter(user_id=user_id).delete()
    topic_access_changed(room.topic)


@user_write("invite", actor="by")
def room_invite(*, by, room_id: int, username: str, role: str = Membership.MEMBER, ref: str | None = None) -> dict:
    """An owner or moderator invites someone by username; the invitee is notified (and e-mailed) at once."""
    room = _manager_room(by=by, room_id=room_id)
    if role not in ROLES:
        raise AppError("bad_request", "role must be 'member' or 'moderator'")
    invitee = _user_named(username)
    if Membership.objects.filter(room=room, user=invitee).exists():
        raise AppError("conflict", f"{invitee.username} is already a member")
    invitation, created = Invitation.objects.get_or_create(
        room=room, user=invitee, status=Invitation.PENDING, defaults={"invited_by": by, "role": role}
    )
    if created:
        notify(
            kind="room_invitation",
            recipients=[invitee.pk],
            data={"actor": by.username, "title": room.name, "invitation": invitation.id, "url": "/#/inbox"},
        )
    return {"invitation": invitation.id, "username": invitee.username}


@user_write("invitation_answer")
def invitation_answer(*, user, invitation_id: int, accept: bool, ref: str | None = None) -> dict:
    """The invitee accepts (becomes a member: `member.joined`) or declines; anyone else gets `not_found`."""
    invitation = (
        Invitation.objects.select_for_update().select_related("room").filter(id=invitation_id, user=user).first()
    )
    if invitation is None:
        raise AppError("not_found", f"invitation {invitation_id} does not exist")
    if invitation.status != Invitation.PENDING:
        raise AppError("conflict", f"this invitation was already {invitation.status}")
    invitation.status = Invitation.ACCEPTED if accept else Invitation.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    result = {"invitation": invitation.id, "status": invitation.status, "room": invitation.room_id}
    if accept:
        Membership.objects.get_or_create(room=invitation.room, user=user, defaults={"role": invitation.role})
        event = topic_event_append(
            topic=invitation.room.topic, kind="member.joined", data={"user": user.username, "role": invitation.role}
        )
        result["seq"] = event.seq
    return result


@user_write("leave")
def room_leave(*, user, room_id: int, ref: str | None = None) -> dict:
    """A member leaves (`member.left`); the last owner must hand the room over first."""
    room = room_get_readable(room_id=room_id, user=user)
    role = room_role(room=room, user=user)
    if role is None:
        raise AppError("conflict", "you are not a member of this room")
    if role == Membership.OWNER and room.memberships.filter(role=Membership.OWNER).count() == 1:
        raise AppError("conflict", "transfer the ownership before leaving")
    event = topic_event_append(topic=room.topic, kind="member.left", data={"user": user.username})
    room_access_revoked(room=room, user_id=user.pk)
    return {"room": room.id, "seq": event.seq}


@user_write("member_remove", actor="by")
def member_remove(*, by, room_id: int, username: str, ref: str | None = None) -> dict:
    """The one removal rule (HTTP `DELETE …/members/{username}` and the socket's `member_remove`):
    the owner removes members and moderators; a moderator removes plain members only; nobody
    removes the owner; naming oneself is leaving (`room_leave`). Publishes `member.removed`, and
    the removed person's live subscriptions are re-checked on commit."""
    room = room_get_readable(room_id=room_id, user=by)
    if username == by.username:
        return room_leave(user=by, room_id=room.id, ref=ref)
    by_role = room_role(room=room, user=by)
    if by_role not in MANAGERS:
        raise AppError("forbidden", "only the room's owners and moderators remove members")
    member = _member(room, username, lock=True)
    if member.role == Membership.OWNER:
        raise AppError("conflict", "the owner cannot be removed")
    if member.role == Membership.MODERATOR and by_role != Membership.OWNER:
        raise AppError("forbidden", "only the owner removes a moderator")
    event = topic_event_append(topic=room.topic, kind="member.removed", data={"user": member.user.username})
    room_access_revoked(room=room, user_id=member.user_id)
    return {"room": room.id, "seq": event.seq}


@user_write("member_role", actor="by")
def member_role_set(*, by, room_id: int, username: str, role: str, ref: str | None = None) -> dict:
    """An owner makes a member a moderator or back (`member.role`); ownership moves by transfer only."""
    room = _manager_room(by=by, room_id=room_id, owners_only=True)
    if role not in ROLES:
        raise AppError("bad_request", "role must be 'member' or 'moderator'")
    member = _member(room, username, lock=True)
    if member.role == Membership.OWNER:
        raise AppError("conflict", "an owner's role changes by transfer only")
    lowered = member.role == Membership.MODERATOR and role == Membership.MEMBER
    member.role = role
    member.save(update_fields=["role"])
    if lowered:
        topic_access_changed(room.topic)  # a moderator made a member loses `moderation:<room>` live
    event = topic_event_append(topic=room.topic, kind="member.role", data={"user": username, "role": role})
    return {"room": room.id, "seq": event.seq}


@user_write("owner_transfer", actor="by")
def owner_transfer(*, by, room_id: int, username: str, ref: str | None = None) -> dict:
    """The owner hands the room to another member and becomes a moderator (`owner.transferred`)."""
    room = _manager_room(by=by, room_id=room_id, owners_only=True)
    member = _member(room, username, lock=True)
    if member.user_id == by.pk:
        raise AppError("conflict", "you already own this room")
    member.role = Membership.OWNER
    member.save(update_fields=["role"])
    room.memberships.filter(user=by).update(role=Membership.MODERATOR)
    event = topic_event_append(topic=room.topic, kind="owner.transferred", data={"from": by.username, "to": username})
    return {"room": room.id, "seq": event.seq}
