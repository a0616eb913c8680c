from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema

from communes.selectors import commune_get, commune_search
from realtime.errors import AppError

router = Router(tags=["communes"])
map_router = Router(tags=["map"])


class MapConfig(Schema):
    tile_url: str
    attribution: str
    cluster_from: int


@map_router.get("", response=MapConfig, summary="Where map tiles come from, their attribution, when markers cluster")
def map_config(request: HttpRequest):
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "cluster_from": settings.MAP_CLUSTER_FROM,
    }


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
