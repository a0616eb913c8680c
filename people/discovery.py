"""Tags across apps and people near you: suggestions of existing tags, a tag's page (everything
carrying it that the reader may read) and "near you and sharing your interests" (people who
allow it and organisations of your commune or within a radius, ranked by shared tags)."""

from __future__ import annotations

import math

from django.db.models import Count

from accounts.models import Profile, TagUse
from accounts.profiles import profile_of
from accounts.tags import tag_normalise
from communes.models import Commune
from discussions.models import Room
from discussions.selectors import room_readable_filter
from events.models import Event
from events.selectors import event_visible_filter, haversine_km
from organisations.models import Organisation
from proposals.selectors import proposal_list
from realtime.auth import signed_in
from realtime.errors import AppError

SUGGESTIONS_MAX = 10
PAGE_MAX = 100
RADIUS_MAX_KM = 100.0


def tag_checked(raw: str) -> str:
    try:
        return tag_normalise(raw)
    except ValueError as error:
        raise AppError("bad_request", str(error)) from None


def tag_suggestions(*, q: str, limit: int = SUGGESTIONS_MAX) -> list[dict]:
    """Existing tags starting with `q`, the most used first (what a tag field offers while typing)."""
    prefix = q.strip().lstrip("#").lower().replace(" ", "-")
    rows = TagUse.objects.all()
    if prefix:
        rows = rows.filter(tag__startswith=prefix)
    counted = rows.values("tag").annotate(uses=Count("id")).order_by("-uses", "tag")[:limit]
    return [{"tag": r["tag"], "uses": r["uses"]} for r in counted]


def _ids(tag: str, kind: str) -> list[int]:
    return list(TagUse.objects.filter(tag=tag, kind=kind).values_list("object_id", flat=True)[: PAGE_MAX * 5])


def _people_visible_to(viewer):
    rows = Profile.objects.filter(user__is_active=True)
    allowed = [Profile.PUBLIC, Profile.SIGNED_IN] if signed_in(viewer) else [Profile.PUBLIC]
    return rows.filter(visibility__in=allowed)


def tag_page(*, tag: str, viewer) -> dict:
    """Everything tagged `tag` that `viewer` may read, each app's own rule deciding."""
    tag = tag_checked(tag)
    organisations = Organisation.objects.filter(id__in=_ids(tag, "organisation")).order_by("name")[:PAGE_MAX]
    events = (
        Event.objects.filter(event_visible_filter(viewer), id__in=_ids(tag, "event"))
        .distinct()
        .order_by("-starts_at")[:PAGE_MAX]
    )
    rooms = Room.objects.filter(room_readable_filter(viewer), id__in=_ids(tag, "room")).distinct().order_by("name")
    proposals = proposal_list(user=viewer).filter(id__in=_ids(tag, "proposal")).order_by("-id")[:PAGE_MAX]
    people = _people_visible_to(viewer).filter(user_id__in=_ids(tag, "person")).select_related("user")
    return {
        "tag": tag,
        "organisations": [{"id": o.id, "name": o.name, "kind": o.kind, "commune": o.commune_id} for o in organisations],
        "events": [
            {"id": e.id, "title": e.title, "starts_at": e.starts_at.isoformat(), "commune": e.commune_id}
            for e in events
        ],
        "rooms": [{"id": r.id, "name": r.name, "commune": r.commune_id} for r in rooms[:PAGE_MAX]],
        "proposals": [{"id": p.id, "title": p.title, "phase": p.phase, "commune": p.commune_id} for p in proposals],
        "people": [
            {"username": p.user.username, "display_name": p.display_name or p.user.username}
            for p in people.order_by("user__username")[:PAGE_MAX]
        ],
    }


def _communes_near(centre: Commune, radius_km: float) -> dict[str, float]:
    """{insee: distance in km} of communes whose centre lies within `radius_km` of `centre`'s."""
    if centre.latitude is None or centre.longitude is None:
        return {centre.insee: 0.0}
    dlat = radius_km / 111.0
    dlon = radius_km / max(1e-6, 111.0 * math.cos(math.radians(centre.latitude)))
    box = Commune.objects.filter(
        latitude__range=(centre.latitude - dlat, centre.latitude + dlat),
        longitude__range=(centre.longitude - dlon, centre.longitude + dlon),
    ).values_list("insee", "latitude", "longitude")
    near = {
        insee: haversine_km(centre.latitude, centre.longitude, lat, lon)
        for insee, lat, lon in box
        if haversine_km(centre.latitude, centre.longitude, lat, lon) <= radius_km
    }
    near[centre.insee] = 0.0
    return near


def nearby(*, viewer, radius_km: float = 0.0) -> dict:
    """People (discoverable, whose profile the viewer may see) and organisations of the viewer's
    commune, or within `radius_km` of it, sharing at least one interest, most shared tags first,
    then nearest."""
    if not signed_in(viewer):
        raise AppError("auth_required", "sign in to find people who share your interests")
    if not 0 <= radius_km <= RADIUS_MAX_KM:
        raise AppError("bad_request", f"radius_km must be between 0 and {RADIUS_MAX_KM:g}")
    if viewer.home_commune_id is None:
        raise AppError("conflict", "set your home commune first")
    mine = set(profile_of(viewer).interests)
    communes = _communes_near(viewer.home_commune, radius_km)
    people = []
    candidates = (
        _people_visible_to(viewer)
        .filter(discoverable=True, user__home_commune_id__in=list(communes))
        .exclude(user=viewer)
        .select_related("user")
    )
    for profile in candidates[:2000]:
        shared = sorted(mine & set(profile.interests))
        if shared:
            people.append(
                {
                    "username": profile.user.username,
                    "display_name": profile.display_name or profile.user.username,
                    "shared": shared,
                    "commune": profile.user.home_commune_id,
                    "distance_km": round(communes[profile.user.home_commune_id], 1),
                }
            )
    organisations = []
    for organisation in Organisation.objects.filter(commune_id__in=list(communes))[:2000]:
        shared = sorted(mine & set(organisation.tags))
        if shared:
            organisations.append(
                {
                    "id": organisation.id,
                    "name": organisation.name,
                    "kind": organisation.kind,
                    "shared": shared,
                    "commune": organisation.commune_id,
                    "distance_km": round(communes[organisation.commune_id], 1),
                }
            )
    rank = lambda item: (-len(item["shared"]), item["distance_km"], item.get("username") or item["name"])  # noqa: E731
    return {
        "interests": sorted(mine),
        "commune": viewer.home_commune_id,
        "radius_km": radius_km,
        "people": sorted(people, key=rank)[:50],
        "organisations": sorted(organisations, key=rank)[:50],
    }
