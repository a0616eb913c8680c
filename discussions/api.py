from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accounts.api import request_user, user_required, writer_required
from communes.selectors import commune_get
from discussions import members, reactions, selectors, services
from realtime.errors import AppError

router = Router(tags=["rooms"])


class RoomIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    visibility: Literal["public", "private"] = "public"
    commune: str | None = None
    description: str = Field("", max_length=4000)


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


class MessagePage(Schema):
    items: list[MessageOut]
    head: int


class MessageIn(Schema):
    body: str
    reply_to: int | None = None
    ref: str | None = Field(None, max_length=64)


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
        "role": role,
    }


@router.post("", response={201: Created}, summary="Create a room; you become its owner")
def room_create(request: HttpRequest, payload: RoomIn):
    user = user_required(request)
    commune = None
    if payload.commune:
        commune = commune_get(insee=payload.commune)
    room = services.room_create(
        creator=user, name=payload.name, visibility=payload.visibility, commune=commune, description=payload.description
    )
    return 201, {"id": room.id, "topic": room.topic}


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


@router.post("/{room_id}/join", response=RoomOut)
def room_join(request: HttpRequest, room_id: int):
    user = user_required(request)
    membership = services.room_join(user=user, room_id=room_id)
    return _room_out(membership.room, membership.role)


@router.get(
    "/{room_id}/messages", response=MessagePage, summary="History by seq: after_seq pages forward, before_seq back"
)
def room_messages(
    request: HttpRequest, room_id: int, after_seq: int | None = None, before_seq: int | None = None, limit: int = 50
):
    room = selectors.room_get_readable(room_id=room_id, user=request_user(request))
    messages, head = selectors.room_messages_page(room=room, after_seq=after_seq, before_seq=before_seq, limit=limit)
    reactions = selectors.reaction_counts(message_ids=[m.id for m in messages])
    items = [{**selectors.message_as_dict(m), "reactions": reactions.get(m.id, {})} for m in messages]
    return {"items": items, "head": head}


@router.post(
    "/{room_id}/messages", response={201: WriteOut}, summary="Post a message (same path as the socket's `post`)"
)
def message_post(request: HttpRequest, room_id: int, payload: MessageIn):
    user = writer_required(request)
    result = services.message_post(
        author=user, room_id=room_id, body=payload.body, reply_to=payload.reply_to, ref=payload.ref
    )
    return 201, result


class MemberOut(Schema):
    username: str
    role: str


class InviteIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    role: Literal["member", "moderator"] = "member"
    ref: str | None = Field(None, max_length=64)


class InvitationOut(Schema):
    id: int
    room: int
    room_name: str
    role: str
    invited_by: str | None


class RoleIn(Schema):
    role: Literal["member", "moderator"]
    ref: str | None = Field(None, max_length=64)


class TransferIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    ref: str | None = Field(None, max_length=64)


class ReactionIn(Schema):
    emoji: str = Field(min_length=1, max_length=8)
    on: bool = True
    ref: str | None = Field(None, max_length=64)


class ReadIn(Schema):
    seq: int = Field(ge=0)


@router.get("/invitations/pending", response=list[InvitationOut], summary="Your pending invitations to private rooms")
def invitations_mine(request: HttpRequest):
    return selectors.invitations_pending(user=user_required(request))


@router.post("/invitations/{invitation_id}/accept", summary="Accept an invitation: you become a member")
def invitation_accept(request: HttpRequest, invitation_id: int):
    return members.invitation_answer(user=writer_required(request), invitation_id=invitation_id, accept=True)


@router.post("/invitations/{invitation_id}/decline", summary="Decline an invitation")
def invitation_decline(request: HttpRequest, invitation_id: int):
    return members.invitation_answer(user=writer_required(request), invitation_id=invitation_id, accept=False)


@router.get("/{room_id}/members", response=list[MemberOut])
def room_members(request: HttpRequest, room_id: int):
    user = request_user(request)
    return selectors.room_members(room=selectors.room_get_readable(room_id=room_id, user=user), user=user)


@router.post("/{room_id}/invitations", response={201: dict}, summary="Invite someone by username (owners, moderators)")
def room_invite(request: HttpRequest, room_id: int, payload: InviteIn):
    result = members.room_invite(
        by=writer_required(request), room_id=room_id, username=payload.username, role=payload.role, ref=payload.ref
    )
    return 201, result


@router.post("/{room_id}/leave", summary="Leave the room")
def room_leave(request: HttpRequest, room_id: int):
    return members.room_leave(user=writer_required(request), room_id=room_id)


@router.delete("/{room_id}/members/{username}", summary="Remove a member (owners); takes effect live")
def member_remove(request: HttpRequest, room_id: int, username: str):
    return members.member_remove(by=writer_required(request), room_id=room_id, username=username)


@router.put("/{room_id}/members/{username}", summary="Make a member a moderator or back (owners)")
def member_role_set(request: HttpRequest, room_id: int, username: str, payload: RoleIn):
    return members.member_role_set(
        by=writer_required(request), room_id=room_id, username=username, role=payload.role, ref=payload.ref
    )


@router.post("/{room_id}/transfer", summary="Hand the room to another member (owner)")
def owner_transfer(request: HttpRequest, room_id: int, payload: TransferIn):
    return members.owner_transfer(
        by=writer_required(request), room_id=room_id, username=payload.username, ref=payload.ref
    )


@router.post("/{room_id}/messages/{message_id}/reactions", summary="React with one emoji of the fixed set")
def reaction_set(request: HttpRequest, room_id: int, message_id: int, payload: ReactionIn):
    return reactions.reaction_set(
        user=writer_required(request),
        room_id=room_id,
        message_id=message_id,
        emoji=payload.emoji,
        on=payload.on,
        ref=payload.ref,
    )


@router.post("/{room_id}/read", summary="Advance your read marker to `seq`")
def read_marker_set(request: HttpRequest, room_id: int, payload: ReadIn):
    return reactions.read_marker_set(user=writer_required(request), room_id=room_id, seq=payload.seq)
