from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accounts.api import request_user, user_required
from discussions import members, reactions, selectors, services
from discussions.inputs import InviteIn, MemberIn, MessageIn, ReactionIn, ReadIn, RoleIn, RoomIn
from realtime.errors import AppError
from realtime.schemas import Ref

router = Router(tags=["rooms"])


class Created(Schema):
    id: int
    topic: str


class RoomOut(Schema):
    id: int
    topic: str
    name: str
    description: str
    visibility: str
    commune: str | None
    tags: list[str] = []
    role: str | None = None
    unread: int | None = None
    read_seq: int | None = None


class RoomList(Schema):
    items: list[RoomOut]


class MessageOut(Schema):
    id: int
    seq: int
    author: str | None
    body: str
    at: str
    reply_to: int | None
    edited_at: str | None
    deleted: bool
    reactions: dict[str, int] = {}
    hidden: bool = False


class MessagePage(Schema):
    items: list[MessageOut]
    head: int


class WriteOut(Schema):
    id: int
    seq: int


def _room_out(room, role=None) -> dict:
    return {
        "id": room.id,
        "topic": room.topic,
        "name": room.name,
        "description": room.description,
        "visibility": room.visibility,
        "commune": room.commune_id,
        "tags": room.tags,
        "role": role,
    }


@router.post("", response={201: Created}, summary="Create a room; you become its owner")
def room_create(request: HttpRequest, payload: RoomIn):
    return 201, services.room_create(
        creator=request_user(request),
        name=payload.name,
        visibility=payload.visibility,
        commune=payload.commune,
        description=payload.description,
        tags=payload.tags,
        ref=payload.ref,
    )


@router.get("", response=RoomList, summary="Rooms you may read, optionally of one commune")
def room_list(request: HttpRequest, commune: str | None = None, q: str = "", limit: int = 50, offset: int = 0):
    if not 1 <= limit <= 200 or offset < 0:
        raise AppError("bad_request", "limit must be 1-200 and offset >= 0")
    user = request_user(request)
    rooms = list(selectors.room_list(user=user, commune=commune, q=q)[offset : offset + limit])
    unread = selectors.unread_counts(user=user, room_ids=[r.id for r in rooms])
    return {"items": [{**_room_out(room), **unread.get(room.id, {})} for room in rooms]}


@router.get("/{room_id}", response=RoomOut)
def room_detail(request: HttpRequest, room_id: int):
    user = request_user(request)
    room = selectors.room_get_readable(room_id=room_id, user=user)
    unread = selectors.unread_counts(user=user, room_ids=[room.id]).get(room.id, {})
    return {**_room_out(room, selectors.room_role(room=room, user=user)), **unread}


class VisibilityIn(Schema):
    visibility: str


@router.patch("/{room_id}", response=RoomOut, summary="Make a room public or private (owner)")
def room_update(request: HttpRequest, room_id: int, payload: VisibilityIn):
    user = user_required(request)
    room = services.room_visibility_set(by=user, room_id=room_id, visibility=payload.visibility)
    return _room_out(room, selectors.room_role(room=room, user=user))


@router.delete(
    "/{room_id}/members/{username}", response={204: None}, summary="Remove a member (owner, moderators) or leave"
)
def room_member_remove(request: HttpRequest, room_id: int, username: str, ref: Ref | None = None):
    members.member_remove(by=user_required(request), room_id=room_id, username=username, ref=ref)
    return 204, None


@router.post("/{room_id}/join", response=RoomOut)
def room_join(request: HttpRequest, room_id: int, ref: Ref | None = None):
    """`ref` (a query parameter: the body may be empty) makes a resend harmless."""
    user = request_user(request)
    joined = services.room_join(user=user, room_id=room_id, ref=ref)
    return _room_out(selectors.room_get_readable(room_id=room_id, user=user), joined["role"])


@router.get(
    "/{room_id}/messages", response=MessagePage, summary="History by seq: after_seq pages forward, before_seq back"
)
def room_messages(
    request: HttpRequest, room_id: int, after_seq: int | None = None, before_seq: int | None = None, limit: int = 50
):
    room = selectors.room_get_readable(room_id=room_id, user=request_user(request))
    messages, head = selectors.room_messages_page(room=room, after_seq=after_seq, before_seq=before_seq, limit=limit)
    counts = selectors.reaction_counts(message_ids=[m.id for m in messages])
    items = [{**selectors.message_as_dict(m), "reactions": counts.get(m.id, {})} for m in messages]
    return {"items": items, "head": head}


@router.post(
    "/{room_id}/messages", response={201: WriteOut}, summary="Post a message (same path as the socket's `post`)"
)
def message_post(request: HttpRequest, room_id: int, payload: MessageIn):
    return 201, services.message_post(
        author=request_user(request), room_id=room_id, body=payload.body, reply_to=payload.reply_to, ref=payload.ref
    )


class MemberOut(Schema):
    username: str
    role: str


class InvitationOut(Schema):
    id: int
    room: int
    room_name: str
    role: str
    invited_by: str | None


@router.get("/invitations/pending", response=list[InvitationOut], summary="Your pending invitations to private rooms")
def invitations_mine(request: HttpRequest):
    return selectors.invitations_pending(user=user_required(request))


@router.post("/invitations/{invitation_id}/accept", summary="Accept an invitation: you become a member")
def invitation_accept(request: HttpRequest, invitation_id: int, ref: Ref | None = None):
    return members.invitation_answer(user=request_user(request), invitation_id=invitation_id, accept=True, ref=ref)


@router.post("/invitations/{invitation_id}/decline", summary="Decline an invitation")
def invitation_decline(request: HttpRequest, invitation_id: int, ref: Ref | None = None):
    return members.invitation_answer(user=request_user(request), invitation_id=invitation_id, accept=False, ref=ref)


@router.get("/{room_id}/members", response=list[MemberOut])
def room_members(request: HttpRequest, room_id: int):
    user = request_user(request)
    return selectors.room_members(room=selectors.room_get_readable(room_id=room_id, user=user), user=user)


@router.post("/{room_id}/invitations", response={201: dict}, summary="Invite someone by username (owners, moderators)")
def room_invite(request: HttpRequest, room_id: int, payload: InviteIn):
    return 201, members.room_invite(
        by=request_user(request), room_id=room_id, username=payload.username, role=payload.role, ref=payload.ref
    )


@router.post("/{room_id}/leave", summary="Leave the room")
def room_leave(request: HttpRequest, room_id: int, ref: Ref | None = None):
    return members.room_leave(user=request_user(request), room_id=room_id, ref=ref)


@router.put("/{room_id}/members/{username}", summary="Make a member a moderator or back (owners)")
def member_role_set(request: HttpRequest, room_id: int, username: str, payload: RoleIn):
    return members.member_role_set(
        by=request_user(request), room_id=room_id, username=username, role=payload.role, ref=payload.ref
    )


@router.post("/{room_id}/transfer", summary="Hand the room to another member (owner)")
def owner_transfer(request: HttpRequest, room_id: int, payload: MemberIn):
    return members.owner_transfer(by=request_user(request), room_id=room_id, username=payload.username, ref=payload.ref)


@router.post("/{room_id}/messages/{message_id}/reactions", summary="React with one emoji of the fixed set")
def reaction_set(request: HttpRequest, room_id: int, message_id: int, payload: ReactionIn):
    return reactions.reaction_set(
        user=request_user(request),
        room_id=room_id,
        message_id=message_id,
        emoji=payload.emoji,
        on=payload.on,
        ref=payload.ref,
    )


@router.post("/{room_id}/read", summary="Advance your read marker to `seq`")
def read_marker_set(request: HttpRequest, room_id: int, payload: ReadIn):
    return reactions.read_marker_set(user=request_user(request), room_id=room_id, seq=payload.seq)
