"""Writes on organisations. Each user write runs through `user_write` (one transaction, receipt,
rate limit) and publishes on commit; the organisation row is locked first, so two admins acting
at once (one removing the other) are serialised and the rules below hold.

Admins act for the organisation: they moderate its rooms and organise its events. Those powers
live in the rooms and events themselves (room staff, event organisers), so a change of admins is
carried into each, in the same transaction, and every live subscription that depended on it is
authorised again (`topic_access_changed`): a removed admin loses the admins' topic, the
moderation view of its rooms and the organiser's side of its events at once, on every process.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.images import StoredImage
from accounts.tags import tags_index_set
from communes.selectors import commune_get
from communes.stream import commune_news_append
from discussions.models import Membership, Room
from discussions.services import room_create, room_members_grant, room_members_revoke, room_staff_lower
from events.inputs import EventIn
from events.services import event_create, event_organisers_change
from organisations.inputs import OrganisationIn, OrganisationPatch, OrganisationRoomIn
from organisations.models import Follower, Item, Member, Organisation
from organisations.selectors import organisation_admin_required, organisation_admins, organisation_get
from proposals.inputs import ProposalIn
from proposals.services import proposal_create
from realtime.access import topic_access_changed
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.writes import user_write


def _user_named(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise AppError("not_found", f"no user named {username!r}")
    return user


def _place(organisation: Organisation) -> None:
    if (organisation.latitude is None) != (organisation.longitude is None):
        raise AppError("bad_request", "give both latitude and longitude, or neither")
    if organisation.latitude is None:
        # Without a precise place it sits at its commune's centre, so the map shows it.
        organisation.latitude, organisation.longitude = organisation.commune.latitude, organisation.commune.longitude


def organisation_public_data(organisation: Organisation) -> dict:
    """What the commune's news says of a new organisation (the map adds its marker)."""
    return {
        "id": organisation.id,
        "name": organisation.name,
        "kind": organisation.kind,
        "address": organisation.address,
        "latitude": organisation.latitude,
        "longitude": organisation.longitude,
        "tags": list(organisation.tags),
    }


@user_write("organisation_create", actor="creator")
def organisation_create(*, creator, organisation: OrganisationIn, ref: str | None = None) -> dict:
    """Create an organisation in a commune; the creator is its first admin. It gets its own public
    discussion room. Announced on `commune:<insee>`. Returns {id, topic}."""
    fields = organisation.model_dump(exclude={"ref", "commune"})
    row = Organisation(created_by=creator, commune=commune_get(insee=organisation.commune), **fields)
    _place(row)
    row.save()
    Member.objects.create(
        organisation=row, user=creator, role=Member.ADMIN, status=Member.ACTIVE, decided_at=timezone.now()
    )
    room = room_create(
        creator=creator,
        name=row.name[:120],
        visibility=Room.PUBLIC,
        commune=row.commune_id,
        description=row.description[:4000],
        announce=False,  # the organisation is the news
    )
    row.room_id = room["id"]
    row.save(update_fields=["room"])
    tags_index_set(kind="organisation", object_id=row.id, tags=row.tags)
    commune_news_append(insee=row.commune_id, kind="commune.organisation_created", data=organisation_public_data(row))
    return {"id": row.id, "topic": row.topic}


@user_write("organisation_update", actor="by")
def organisation_update(*, by, organisation_id: int, changes: OrganisationPatch, ref: str | None = None) -> dict:
    """Admins change the organisation's fields; publishes `organisation.updated` with the new values."""
    organisation = organisation_admin_required(organisation_id=organisation_id, user=by, for_update=True)
    requested = changes.changes()
    changed = {}
    for name, value in requested.items():
        if getattr(organisation, name) != value:
            setattr(organisation, name, value)
            changed[name] = value
    if {"latitude", "longitude"} & changed.keys():
        _place(organisation)
    if not changed:
        return {"id": organisation.id, "changed": []}
    organisation.save()
    if "tags" in changed:
        tags_index_set(kind="organisation", object_id=organisation.id, tags=organisation.tags)
    topic_event_append(topic=organisation.topic, kind="organisation.updated", data={"changed": changed})
    return {"id": organisation.id, "changed": sorted(changed)}


@user_write("organisation_image_set", actor="by")
def organisation_image_set(*, by, organisation_id: int, image: StoredImage, ref: str | None = None) -> dict:
    """Admins set the organisation's picture (already checked and re-encoded by accounts.images)."""
    organisation = organisation_admin_required(organisation_id=organisation_id, user=by, for_update=True)
    organisation.image, organisation.image_type = image.data, image.content_type
    organisation.image_version += 1
    organisation.save(update_fields=["image", "image_type", "image_version", "updated_at"])
    changed = {"image_version": organisation.image_version}
    topic_event_append(topic=organisation.topic, kind="organisation.updated", data={"changed": changed})
    return {"id": organisation.id, "image_version": organisation.image_version, "width": image.width}


# --- Admins' powers, carried into the rooms and events the organisation owns -------------------


def _owned_room_ids(organisation: Organisation) -> list[int]:
    ids = [organisation.room_id] if organisation.room_id else []
    return ids + list(
        Item.objects.filter(organisation=organisation).exclude(room=None).values_list("room_id", flat=True)
    )


def _owned_event_ids(organisation: Organisation) -> list[int]:
    return list(Item.objects.filter(organisation=organisation).exclude(event=None).values_list("event_id", flat=True))


def _powers_given(organisation: Organisation, user) -> None:
    for room_id in _owned_room_ids(organisation):
        room_members_grant(room_id=room_id, users=[user], role=Membership.MODERATOR)
    for event_id in _owned_event_ids(organisation):
        event_organisers_change(event_id=event_id, add=[user], remove=[])


def _powers_taken(organisation: Organisation, user) -> None:
    """`user` is no longer an admin (already written): they stop moderating and organising."""
    admins = organisation_admins(organisation)
    for room_id in _owned_room_ids(organisation):
        room_staff_lower(room_id=room_id, users=[user], owner_instead=admins[0] if admins else None)
        topic_access_changed(f"room:{room_id}")
        topic_access_changed(f"moderation:{room_id}")
    for event_id in _owned_event_ids(organisation):
        event_organisers_change(event_id=event_id, add=admins, remove=[user])
    topic_access_changed(organisation.admin_topic)


def _other_admin_check(organisation: Organisation, member: Member) -> None:
    if member.role != Member.ADMIN:
        return
    others = Member.objects.filter(organisation=organisation, role=Member.ADMIN, status=Member.ACTIVE).exclude(
        id=member.id
    )
    if not others.exists():
        raise AppError("conflict", "an organisation keeps at least one admin: name another admin first")


def _member_joined(organisation: Organisation, member: Member) -> None:
    if organisation.room_id:
        room_members_grant(room_id=organisation.room_id, users=[member.user], role=Membership.MEMBER)
    data = {"user": member.user.username, "role": member.role}
    topic_event_append(topic=organisation.topic, kind="organisation.member_joined", data=data)


# --- Membership ----------------------------------------------------------------------------------


@user_write("organisation_join")
def organisation_join(*, user, organisation_id: int, ref: str | None = None) -> dict:
    """Ask to join: a member at once, or `pending` until an admin approves when the organisation
    asks for approval (its admins see the request live on `orgadmin:<id>`). Returns {status, role}."""
    organisation = organisation_get(organisation_id=organisation_id, for_update=True)
    member = Member.objects.filter(organisation=organisation, user=user).first()
    if member is not None:
        return {"status": member.status, "role": member.role}
    status = Member.PENDING if organisation.join_approval else Member.ACTIVE
    member = Member.objects.create(
        organisation=organisation,
        user=user,
        role=Member.MEMBER,
        status=status,
        decided_at=None if status == Member.PENDING else timezone.now(),
    )
    if status == Member.PENDING:
        data = {"user": user.username, "at": member.requested_at.isoformat()}
        topic_event_append(topic=organisation.admin_topic, kind="membership.requested", data=data)
    else:
        _member_joined(organisation, member)
    return {"status": member.status, "role": member.role}


@user_write("organisation_membership_decide", actor="by")
def membership_decide(*, by, organisation_id: int, username: str, decision: str, ref: str | None = None) -> dict:
    """An admin approves or refuses a pending request. Returns {user, status}."""
    organisation = organisation_admin_required(organisation_id=organisation_id, user=by, for_update=True)
    member = Member.objects.filter(organisation=organisation, user__username=username).select_related("user").first()
    if member is None:
        raise AppError("not_found", f"{username!r} has not asked to join")
    if member.status != Member.PENDING:
        raise AppError("conflict", f"{username!r} is already a member")
    data = {"user": member.user.username, "decision": decision, "by": by.username}
    topic_event_append(topic=organisation.admin_topic, kind="membership.decided", data=data)
    if decision == "refuse":
        member.delete()
        return {"user": username, "status": "refused"}
    member.status, member.decided_at = Member.ACTIVE, timezone.now()
    member.save(update_fields=["status", "decided_at"])
    _member_joined(organisation, member)
    return {"user": username, "status": member.status}


@user_write("organisation_role_set", actor="by")
def member_role_set(*, by, organisation_id: int, username: str, role: str, ref: str | None = None) -> dict:
    """An admin makes a member an admin, or an admin a plain member (never the last admin)."""
    organisation = organisation_admin_required(organisation_id=organisation_id, user=by, for_update=True)
    member = Member.objects.filter(organisation=organisation, user__username=username).select_related("user").first()
    if member is None or member.status != Member.ACTIVE:
        raise AppError("not_found", f"{username!r} is not a member")
    if member.role == role:
        return {"user": username, "role": role}
    if role == Member.MEMBER:
        _other_admin_check(organisation, member)
    member.role = role
    member.save(update_fields=["role"])
    if role == Member.ADMIN:
        _powers_given(organisation, member.user)
    else:
        _powers_taken(organisation, member.user)
    topic_event_append(
        topic=organisation.topic, kind="organisation.role_changed", data={"user": username, "role": role}
    )
    return {"user": username, "role": role}


@user_write("organisation_member_remove", actor="by")
def member_remove(*, by, organisation_id: int, username: str, ref: str | None = None) -> dict:
    """An admin removes a member (or withdraws a request); anyone may leave (never the last admin)."""
    organisation = organisation_get(organisation_id=organisation_id, for_update=True)
    member = Member.objects.filter(organisation=organisation, user__username=username).select_related("user").first()
    leaving = member is not None and member.user_id == by.id
    if not leaving:
        organisation = organisation_admin_required(organisation_id=organisation_id, user=by)
    if member is None:
        raise AppError("not_found", f"{username!r} is not a member")
    _other_admin_check(organisation, member)
    was_admin, was_active = member.role == Member.ADMIN, member.status == Member.ACTIVE
    member.delete()
    if organisation.room_id:
        room_members_revoke(room_id=organisation.room_id, users=[member.user])
        topic_access_changed(f"room:{organisation.room_id}")
    if was_admin:
        _powers_taken(organisation, member.user)
    if was_active:
        topic_event_append(topic=organisation.topic, kind="organisation.member_left", data={"user": username})
    return {"user": username, "status": "removed"}


@user_write("organisation_follow")
def organisation_follow(*, user, organisation_id: int, follow: bool = True, ref: str | None = None) -> dict:
    """Follow (or stop following) an organisation. Returns {following, followers}."""
    organisation = organisation_get(organisation_id=organisation_id)
    if follow:
        Follower.objects.get_or_create(organisation=organisation, user=user)
    else:
        Follower.objects.filter(organisation=organisation, user=user).delete()
    return {"following": follow, "followers": Follower.objects.filter(organisation=organisation).count()}


# --- What the organisation owns --------------------------------------------------------------------


def _item_announce(organisation: Organisation, kind: str, item_id: int, title: str) -> None:
    data = {"kind": kind, "id": item_id, "title": title}
    topic_event_append(topic=organisation.topic, kind="organisation.item_added", data=data)


@user_write("organisation_room_create", actor="by")
def organisation_room_create(*, by, organisation_id: int, room: OrganisationRoomIn, ref: str | None = None) -> dict:
    """An admin opens a room for the organisation (in its commune); every admin moderates it."""
    organisation = organisation_admin_required(organisation_id=organisation_id, user=by, for_update=True)
    created = room_create(
        creator=by,
        name=room.name,
        visibility=room.visibility,
        commune=organisation.commune_id,
        description=room.description,
        tags=room.tags,
    )
    room_members_grant(room_id=created["id"], users=organisation_admins(organisation), role=Membership.MODERATOR)
    Item.objects.create(organisation=organisation, room_id=created["id"])
    if room.visibility == Room.PUBLIC:
        _item_announce(organisation, "room", created["id"], room.name)
    return created


@user_write("organisation_event_create", actor="by")
def organisation_event_create(*, by, organisation_id: int, event: EventIn, ref: str | None = None) -> dict:
    """An admin organises an event for the organisation: every admin organises it; it takes place
    in the organisation's commune, at its address, unless the event says otherwise."""
    organisation = organisation_admin_required(organisation_id=organisation_id, user=by, for_update=True)
    admins = organisation_admins(organisation)
    defaults = {"organisers": sorted({*event.organisers, *(u.username for u in admins)})}
    if event.commune is None:
        defaults["commune"] = organisation.commune_id
        if event.latitude is None and not event.address:
            defaults.update(
                address=organisation.address, latitude=organisation.latitude, longitude=organisation.longitude
            )
    created = event_create(creator=by, event=event.model_copy(update=defaults))
    Item.objects.create(organisation=organisation, event_id=created["id"])
    if not event.invite_only:
        _item_announce(organisation, "event", created["id"], event.title)
    return created


@user_write("organisation_proposal_create", actor="by")
def organisation_proposal_create(*, by, organisation_id: int, proposal: ProposalIn, ref: str | None = None) -> dict:
    """An admin opens a proposal for the organisation, in one of its rooms (its own room by
    default), so every admin may close or archive it as the room's moderators."""
    organisation = organisation_admin_required(organisation_id=organisation_id, user=by, for_update=True)
    room_id = proposal.room or organisation.room_id
    if room_id not in _owned_room_ids(organisation):
        raise AppError("bad_request", "an organisation's proposal opens in one of its rooms")
    if proposal.event is not None:
        raise AppError("bad_request", "an organisation's proposal opens in one of its rooms, not in an event")
    created = proposal_create(author=by, proposal=proposal.model_copy(update={"room": room_id, "commune": None}))
    Item.objects.create(organisation=organisation, proposal_id=created["id"])
    if Room.objects.filter(id=room_id, visibility=Room.PUBLIC).exists():
        _item_announce(organisation, "proposal", created["id"], proposal.title)
    return created


def user_organisations_erase(*, user) -> None:
    """Account erasure (settings.ACCOUNT_ERASERS): memberships, requests and follows go. An
    organisation left without an admin passes to its longest-standing member, if any (else staff
    name one in the admin). Runs in the caller's transaction."""
    for member in Member.objects.filter(user=user, role=Member.ADMIN).select_related("organisation"):
        organisation = member.organisation
        member.delete()
        _powers_taken(organisation, user)
        if not Member.objects.filter(organisation=organisation, role=Member.ADMIN).exists():
            heir = Member.objects.filter(organisation=organisation, status=Member.ACTIVE).order_by("decided_at").first()
            if heir is not None:
                heir.role = Member.ADMIN
                heir.save(update_fields=["role"])
                _powers_given(organisation, heir.user)
    Member.objects.filter(user=user).delete()
    Follower.objects.filter(user=user).delete()
    Organisation.objects.filter(created_by=user).update(created_by=None)
