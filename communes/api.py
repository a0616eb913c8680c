from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from communes.selectors import commune_get, commune_search
from realtime.errors import AppError

router = Router(tags=["communes"])


class CommuneOut(Schema):
    insee: str
    name: str
    postal_codes: list[str]
    latitude: float | None
    longitude: float | None


class CommuneList(Schema):
    items: list[CommuneOut]


@router.get("", response=CommuneList, summary="Search communes by name or postal code")
def communes(request: HttpRequest, q: str = "", limit: int = 20):
    if not 1 <= limit <= 100:
        raise AppError("bad_request", "limit must be between 1 and 100")
    return {"items": list(commune_search(q=q, limit=limit))}


@router.get("/{insee}", response=CommuneOut)
def commune(request: HttpRequest, insee: str):
    return commune_get(insee=insee)
