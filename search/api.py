"""GET /api/search: the one search box (PROTOCOL.md B.11)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accounts.api import request_user
from search.selectors import KINDS, search

router = Router(tags=["search"])


class HitOut(Schema):
    kind: str
    id: int
    title: str
    snippet: str
    commune: str | None
    room: int | None
    username: str | None = None
    rank: float


class SearchOut(Schema):
    q: str
    total: int
    limit: int
    offset: int
    items: list[HitOut]


@router.get(
    "",
    response=SearchOut,
    summary="Full-text search over what you may read",
    description=f"`kinds`: comma-separated among {', '.join(KINDS)} (default all). Accent-insensitive; "
    "every word must match (as a prefix). Private rooms, their messages and proposals, and invite-only "
    "events appear only to those who may read them.",
)
def search_view(
    request: HttpRequest, q: str = "", kinds: str = "", commune: str | None = None, limit: int = 20, offset: int = 0
):
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    hits, total = search(
        user=request_user(request), q=q, kinds=wanted, commune=commune or None, limit=limit, offset=offset
    )
    return {"q": q, "total": total, "limit": limit, "offset": offset, "items": hits}
