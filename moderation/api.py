"""HTTP side of co-moderation: the same services as the socket's `report` and `sanction`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accounts.api import request_user
from moderation import selectors, services
from moderation.inputs import PolicyIn, ReportIn, SanctionIn, TrustIn
from moderation.scope import Scope
from realtime.errors import AppError

router = Router(tags=["moderation"])


class Reported(Schema):
    kind: str
    item: int
    counted: bool
    hidden: bool
    judges: int | None = None


@router.post("/reports", response=Reported, summary="Report a message, a debate question or a proposal, with a reason")
def report(request: HttpRequest, payload: ReportIn):
    return services.item_report(
        user=request_user(request), kind=payload.kind, item_id=payload.item, reason=payload.reason, ref=payload.ref
    )


@router.get("/mine", summary="Decisions on what you wrote, and why")
def mine(request: HttpRequest):
    return {"items": selectors.cases_about(request_user(request))}


@router.get("/rooms/{room_id}/me", summary="Whether you moderate the room, or judge its reports as a trusted member")
def roles(request: HttpRequest, room_id: int):
    return selectors.room_roles_of(room_id=room_id, user=request_user(request))


@router.get("/rooms/{room_id}/queue", summary="Hidden items awaiting their vote (moderators, trusted members)")
def queue(request: HttpRequest, room_id: int, status: str = "open"):
    room = selectors.room_for_judges(room_id=room_id, user=request_user(request))
    if status not in ("open", "kept", "removed"):
        raise AppError("bad_request", "status must be open, kept or removed")
    return {"items": selectors.room_queue(room, status=status)}


def _status_checked(status: str) -> str:
    if status not in ("open", "kept", "removed"):
        raise AppError("bad_request", "status must be open, kept or removed")
    return status


@router.get("/communes/{insee}/me", summary="Whether you judge the commune's reports (its referents)")
def commune_roles(request: HttpRequest, insee: str):
    return selectors.commune_roles_of(insee=insee, user=request_user(request))


@router.get("/communes/{insee}/queue", summary="Commune-wide proposals hidden by reports, awaiting the referents' vote")
def commune_queue(request: HttpRequest, insee: str, status: str = "open"):
    commune = selectors.commune_for_judges(insee=insee, user=request_user(request))
    return {"items": selectors.scope_queue(Scope(commune_id=commune.insee), status=_status_checked(status))}


@router.get("/communes/{insee}/audit", summary="The commune's moderation actions, newest first (referents)")
def commune_audit(request: HttpRequest, insee: str):
    commune = selectors.commune_for_judges(insee=insee, user=request_user(request))
    return {"items": selectors.scope_audit(Scope(commune_id=commune.insee))}


@router.get(
    "/communes/{insee}/settings", summary="The commune's report threshold, removal share and vote length (referents)"
)
def commune_settings_get(request: HttpRequest, insee: str):
    return selectors.commune_settings(insee=insee, user=request_user(request))


@router.patch(
    "/communes/{insee}/settings", summary="Set the commune's report threshold, removal share, vote length (referents)"
)
def commune_settings_set(request: HttpRequest, insee: str, payload: PolicyIn):
    return services.commune_policy_set(user=request_user(request), insee=insee, policy=payload, ref=payload.ref)


@router.get("/rooms/{room_id}/audit", summary="The room's moderation actions, newest first (moderators)")
def audit(request: HttpRequest, room_id: int):
    room = selectors.room_for_moderators(room_id=room_id, user=request_user(request))
    return {"items": selectors.room_audit(room)}


@router.get("/rooms/{room_id}/settings", summary="Thresholds, trusted members, mutes and bans (moderators)")
def settings_get(request: HttpRequest, room_id: int):
    room = selectors.room_for_moderators(room_id=room_id, user=request_user(request))
    return selectors.room_settings(room)


@router.patch("/rooms/{room_id}/settings", summary="Set the report threshold, the removal share, the vote length")
def settings_set(request: HttpRequest, room_id: int, payload: PolicyIn):
    return services.policy_set(user=request_user(request), room_id=room_id, policy=payload, ref=payload.ref)


@router.post("/rooms/{room_id}/sanctions", summary="Mute or ban someone in the room, or lift it (moderators)")
def sanction(request: HttpRequest, room_id: int, payload: SanctionIn):
    return services.member_sanction(
        user=request_user(request),
        room_id=room_id,
        username=payload.user,
        kind=payload.kind,
        reason=payload.reason,
        lift=payload.lift,
        ref=payload.ref,
    )


@router.post("/rooms/{room_id}/trusted", summary="Name or un-name a trusted member (moderators)")
def trust(request: HttpRequest, room_id: int, payload: TrustIn):
    return services.member_trust(
        user=request_user(request), room_id=room_id, username=payload.user, trusted=payload.trusted, ref=payload.ref
    )
