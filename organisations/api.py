"""HTTP side of organisations (PROTOCOL.md B.12): the services of organisations/services.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema, Status

from accounts.api import request_user, user_required
from accounts.images import image_checked, request_image_bytes
from events.inputs import EventIn
from organisations import selectors, services
from organisations.exports import organisation_jsonld
from organisations.inputs import (
    DecisionIn,
    OrganisationIn,
    OrganisationPatch,
    OrganisationRoomIn,
    RoleIn,
)
from organisations.models import KINDS, Member, Organisation
from proposals.inputs import ProposalIn
from realtime.errors import AppError
from realtime.schemas import Ref

router = Router(tags=["organisations"])
IMAGE_SIDE = 512


class Created(Schema):
    id: int
    topic: str


def image_url(organisation: Organisation) -> str | None:
    if not organisation.image_version:
        return None
    return f"/api/organisations/{organisation.id}/image?v={organisation.image_version}"


def organisation_summary(organisation: Organisation) -> dict:
    return {
        "id": organisation.id,
        "topic": organisation.topic,
        "kind": organisation.kind,
        "name": organisation.name,
        "description": organisation.description[:300],
        "commune": organisation.commune_id,
        "commune_name": organisation.commune.name,
        "address": organisation.address,
        "latitude": organisation.latitude,
        "longitude": organisation.longitude,
        "tags": organisation.tags,
        "image": image_url(organisation),
        "members": getattr(organisation, "members_count", None),
        "followers": getattr(organisation, "followers_count", None),
    }


def _organisation_out(organisation: Organisation, user) -> dict:
    member = selectors.member_of(organisation=organisation, user=user)
    is_admin = member is not None and member.role == Member.ADMIN and member.status == Member.ACTIVE
    owned = selectors.organisation_items(organisation=organisation, user=user)
    return {
        **organisation_summary(organisation),
        **selectors.organisation_counts(organisation),
        "description": organisation.description,
        "links": organisation.links,
        "join_approval": organisation.join_approval,
        "room": {"id": organisation.room_id, "topic": f"room:{organisation.room_id}"} if organisation.room_id else None,
        "admins": [u.username for u in selectors.organisation_admins(organisation)],
        "my": {"role": member.role, "status": member.status} if member else None,
        "is_admin": is_admin,
        "admin_topic": organisation.admin_topic if is_admin else None,
        "following": selectors.organisation_follows(organisation=organisation, user=user),
        "rooms": [{"id": r.id, "name": r.name, "visibility": r.visibility} for r in owned["rooms"]],
        "events": [
            {"id": e.id, "title": e.title, "starts_at": e.starts_at.isoformat(), "status": e.status}
            for e in owned["events"]
        ],
        "proposals": [{"id": p.id, "title": p.title, "phase": p.phase, "result": p.result} for p in owned["proposals"]],
    }


@router.post("", response={201: Created}, summary="Create an organisation; you are its first admin")
def organisation_create(request: HttpRequest, payload: OrganisationIn):
    created = services.organisation_create(creator=request_user(request), organisation=payload, ref=payload.ref)
    return Status(201, created)


@router.get("", summary="Organisations: by commune, kind, tag, name (q)")
def organisation_list(
    request: HttpRequest,
    commune: str | None = None,
    kind: str | None = None,
    tag: str | None = None,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    if not 1 <= limit <= selectors.LIST_MAX or offset < 0:
        raise AppError("bad_request", f"limit must be between 1 and {selectors.LIST_MAX}, offset at least 0")
    if kind and kind not in KINDS:
        raise AppError("bad_request", f"kind must be one of {', '.join(KINDS)}")
    rows = selectors.organisation_list(commune=commune, kind=kind, tag=tag, q=q[:200])
    return {"items": [organisation_summary(o) for o in rows[offset : offset + limit]], "total": rows.count()}


@router.get("/{organisation_id}", summary="One organisation: members, admins, what it owns, your role")
def organisation_detail(request: HttpRequest, organisation_id: int):
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    return _organisation_out(organisation, request_user(request))


@router.get("/{organisation_id}/jsonld", summary="The organisation as a schema.org Organization (JSON-LD)")
def organisation_jsonld_view(request: HttpRequest, organisation_id: int):
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    image = image_url(organisation)
    data = organisation_jsonld(
        organisation,
        url=request.build_absolute_uri(f"/api/organisations/{organisation.id}"),
        image_url=request.build_absolute_uri(image) if image else None,
    )
    return JsonResponse(data, content_type="application/ld+json", json_dumps_params={"ensure_ascii": False})


@router.patch("/{organisation_id}", summary="Change fields (admins)")
def organisation_update(request: HttpRequest, organisation_id: int, payload: OrganisationPatch):
    return services.organisation_update(
        by=request_user(request), organisation_id=organisation_id, changes=payload, ref=payload.ref
    )


@router.put(
    "/{organisation_id}/image",
    summary="Set the picture (admins): the body is the image itself (JPEG, PNG, WebP or GIF)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("image/jpeg", "image/png", "image/webp", "image/gif")
            },
        }
    },
)
def organisation_image_set(request: HttpRequest, organisation_id: int, ref: Ref | None = None):
    user = user_required(request)
    selectors.organisation_admin_required(organisation_id=organisation_id, user=user)
    data = request_image_bytes(request)
    image = image_checked(data, max_side=IMAGE_SIDE)
    return services.organisation_image_set(by=user, organisation_id=organisation_id, image=image, ref=ref)


@router.get("/{organisation_id}/image", summary="The organisation's picture (WebP)")
def organisation_image(request: HttpRequest, organisation_id: int):
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    if not organisation.image_version:
        raise AppError("not_found", "this organisation has no picture")
    response = HttpResponse(bytes(organisation.image), content_type=organisation.image_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/{organisation_id}/join", summary="Join (or ask to join, when admins approve members)")
def organisation_join(request: HttpRequest, organisation_id: int, ref: Ref | None = None):
    return services.organisation_join(user=request_user(request), organisation_id=organisation_id, ref=ref)


@router.post("/{organisation_id}/follow", summary="Follow the organisation")
def organisation_follow(request: HttpRequest, organisation_id: int, ref: Ref | None = None):
    return services.organisation_follow(user=request_user(request), organisation_id=organisation_id, ref=ref)


@router.post("/{organisation_id}/unfollow", summary="Stop following the organisation")
def organisation_unfollow(request: HttpRequest, organisation_id: int, ref: Ref | None = None):
    return services.organisation_follow(
        user=request_user(request), organisation_id=organisation_id, follow=False, ref=ref
    )


@router.get("/{organisation_id}/members", summary="Members and admins; pending requests for admins only")
def organisation_members(request: HttpRequest, organisation_id: int):
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    user = request_user(request)
    pending = None
    if selectors.organisation_is_admin(organisation=organisation, user=user):
        pending = selectors.organisation_members(organisation=organisation, status=Member.PENDING)
    return {"items": selectors.organisation_members(organisation=organisation), "pending": pending}


@router.post("/{organisation_id}/members/{username}/decision", summary="Approve or refuse a request (admins)")
def membership_decide(request: HttpRequest, organisation_id: int, username: str, payload: DecisionIn):
    return services.membership_decide(
        by=request_user(request),
        organisation_id=organisation_id,
        username=username,
        decision=payload.decision,
        ref=payload.ref,
    )


@router.patch("/{organisation_id}/members/{username}", summary="Make a member admin, or an admin member (admins)")
def member_role_set(request: HttpRequest, organisation_id: int, username: str, payload: RoleIn):
    return services.member_role_set(
        by=request_user(request), organisation_id=organisation_id, username=username, role=payload.role, ref=payload.ref
    )


@router.delete("/{organisation_id}/members/{username}", summary="Remove a member (admins), or leave (yourself)")
def member_remove(request: HttpRequest, organisation_id: int, username: str, ref: Ref | None = None):
    return services.member_remove(
        by=user_required(request), organisation_id=organisation_id, username=username, ref=ref
    )


@router.post("/{organisation_id}/rooms", response={201: Created}, summary="Open a room for the organisation (admins)")
def organisation_room_create(request: HttpRequest, organisation_id: int, payload: OrganisationRoomIn):
    created = services.organisation_room_create(
        by=request_user(request), organisation_id=organisation_id, room=payload, ref=payload.ref
    )
    return Status(201, created)


@router.post("/{organisation_id}/events", response={201: Created}, summary="Organise an event for it (admins)")
def organisation_event_create(request: HttpRequest, organisation_id: int, payload: EventIn):
    created = services.organisation_event_create(
        by=request_user(request), organisation_id=organisation_id, event=payload, ref=payload.ref
    )
    return Status(201, created)


@router.post(
    "/{organisation_id}/proposals", response={201: Created}, summary="Open a proposal for it, in its room (admins)"
)
def organisation_proposal_create(request: HttpRequest, organisation_id: int, payload: ProposalIn):
    created = services.organisation_proposal_create(
        by=request_user(request), organisation_id=organisation_id, proposal=payload, ref=payload.ref
    )
    return Status(201, created)
