from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accounts.api import request_user, user_required
from discussions import selectors, services
from discussions.inputs import MessageIn, RoomIn
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
    rooms = selectors.room_list(user=request_user(request), commune=commune, q=q)[offset : offset + limit]
    return {"items": [_room_out(room) for room in rooms]}


@router.get("/{room_id}", response=RoomOut)
def room_detail(request: HttpRequest, room_id: int):
    user = request_user(request)
    room = selectors.room_get_readable(room_id=room_id, user=user)
    return _room_out(room, selectors.room_role(room=room, user=user))


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
def room_member_remove(request: HttpRequest, room_id: int, username: str):
    services.room_member_remove(by=user_required(request), room_id=room_id, username=username)
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
    return {"items": [selectors.message_as_dict(m) for m in messages], "head": head}


@router.post(
    "/{room_id}/messages", response={201: WriteOut}, summary="Post a message (same path as the socket's `post`)"
)
def message_post(request: HttpRequest, room_id: int, payload: MessageIn):
    return 201, services.message_post(
        author=request_user(request), room_id=room_id, body=payload.body, reply_to=payload.reply_to, ref=payload.ref
    )
