"""Reads on organisations: roles, lists, what an organisation owns (as the reader may see it)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from discussions.models import Room
from discussions.selectors import room_readable_filter
from events.models import Event
from events.selectors import event_visible_ids
from organisations.models import Follower, Item, Member, Organisation
from proposals.selectors import proposal_list
from realtime.auth import signed_in
from realtime.errors import AppError

LIST_MAX = 200


def organisation_get(*, organisation_id: int, for_update: bool = False) -> Organisation:
    """Organisations are public: anyone may read one. `not_found` when it does not exist."""
    rows = Organisation.objects.select_for_update() if for_update else Organisation.objects.select_related("commune")
    organisation = rows.filter(id=organisation_id).first()
    if organisation is None:
        raise AppError("not_found", f"organisation {organisation_id} does not exist")
    return organisation


def member_of(*, organisation: Organisation, user) -> Member | None:
    if not signed_in(user):
        return None
    return Member.objects.filter(organisation=organisation, user=user).first()


def organisation_is_admin(*, organisation: Organisation, user) -> bool:
    if not signed_in(user):
        return False
    return Member.objects.filter(organisation=organisation, user=user, role=Member.ADMIN, status=Member.ACTIVE).exists()


def organisation_admin_required(*, organisation_id: int, user, for_update: bool = False) -> Organisation:
    """The organisation if `user` is one of its admins now (re-read on every write): else `forbidden`."""
    if not signed_in(user):
        raise AppError("auth_required", "sign in first")
    organisation = organisation_get(organisation_id=organisation_id, for_update=for_update)
    if not organisation_is_admin(organisation=organisation, user=user):
        raise AppError("forbidden", "only the organisation's admins may do this")
    return organisation


def organisation_admins(organisation: Organisation) -> list:
    return [
        m.user
        for m in Member.objects.filter(organisation=organisation, role=Member.ADMIN, status=Member.ACTIVE)
        .select_related("user")
        .order_by("user__username")
    ]


def organisation_list(
    *, commune: str | None = None, kind: str | None = None, tag: str | None = None, q: str = ""
) -> QuerySet[Organisation]:
    rows = Organisation.objects.select_related("commune").annotate(
        members_count=Count("members", filter=Q(members__status=Member.ACTIVE), distinct=True),
        followers_count=Count("followers", distinct=True),
    )
    if commune:
        rows = rows.filter(commune_id=commune)
    if kind:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(name__icontains=q)
    if tag:
        rows = rows.filter(tags_text__contains=f" {tag.strip().lower()} ")
    return rows.order_by("name", "id")


def organisation_members(*, organisation: Organisation, status: str = Member.ACTIVE) -> list[dict]:
    rows = Member.objects.filter(organisation=organisation, status=status).select_related("user")
    return [
        {"username": m.user.username, "role": m.role, "status": m.status, "requested_at": m.requested_at.isoformat()}
        for m in rows.order_by("-role", "user__username")
    ]


def organisation_counts(organisation: Organisation) -> dict:
    return {
        "members": Member.objects.filter(organisation=organisation, status=Member.ACTIVE).count(),
        "followers": Follower.objects.filter(organisation=organisation).count(),
    }


def organisation_follows(*, organisation: Organisation, user) -> bool:
    return signed_in(user) and Follower.objects.filter(organisation=organisation, user=user).exists()


def organisation_items(*, organisation: Organisation, user) -> dict:
    """What the organisation owns that `user` may read: rooms (its own room first), upcoming and
    past events, proposals (those it opened, and those of its rooms)."""
    items = Item.objects.filter(organisation=organisation)
    room_ids = [organisation.room_id] if organisation.room_id else []
    room_ids += list(items.exclude(room=None).values_list("room_id", flat=True))
    rooms = {r.id: r for r in Room.objects.filter(room_readable_filter(user), id__in=room_ids).distinct()}
    events = Event.objects.filter(id__in=event_visible_ids(user)).filter(
        id__in=items.exclude(event=None).values("event_id")
    )
    proposals = proposal_list(user=user).filter(
        Q(id__in=items.exclude(proposal=None).values("proposal_id")) | Q(room_id__in=room_ids)
    )
    return {
        "rooms": [rooms[i] for i in room_ids if i in rooms],
        "events": list(events.order_by("-starts_at")[:LIST_MAX]),
        "proposals": list(proposals.order_by("-id")[:LIST_MAX]),
    }


def organisations_of_user(*, user) -> list[dict]:
    """The organisations `user` belongs to (with role and status) and those they follow."""
    rows = Member.objects.filter(user=user).select_related("organisation").order_by("organisation__name")
    followed = Follower.objects.filter(user=user).select_related("organisation").order_by("organisation__name")
    return [
        *[{"id": m.organisation_id, "name": m.organisation.name, "role": m.role, "status": m.status} for m in rows],
        *[
            {"id": f.organisation_id, "name": f.organisation.name, "role": None, "status": "following"}
            for f in followed
        ],
    ]
