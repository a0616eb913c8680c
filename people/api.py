"""People (PROTOCOL.md B.15): your profile and avatar, others' profiles as their privacy allows,
the names and avatars shown beside acts."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from accounts.api import request_user, user_required
from accounts.images import image_checked, request_image_bytes
from accounts.inputs import ProfilePatch
from accounts.models import Profile
from accounts.profiles import avatar_clear, avatar_set, people_brief, profile_of, profile_update, profile_visible
from events.models import Event
from events.selectors import event_visible_filter
from organisations.selectors import organisations_of_user
from people.discovery import nearby, tag_page, tag_suggestions
from realtime.errors import AppError
from realtime.schemas import Ref

router = Router(tags=["people"])
tags_router = Router(tags=["tags"])
AVATAR_SIDE = 256


def avatar_url(username: str, version: int) -> str | None:
    return f"/api/people/{username}/avatar?v={version}" if version else None


def _person(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise AppError("not_found", f"no person named {username!r}")
    return user


def _settings(profile: Profile) -> dict:
    return {
        "visibility": profile.visibility,
        "discoverable": profile.discoverable,
        "show_commune": profile.show_commune,
        "show_organisations": profile.show_organisations,
    }


def _profile_out(user, viewer) -> dict:
    profile = profile_of(user)
    data = {
        "username": user.username,
        "display_name": profile.display_name or user.username,
        "avatar": avatar_url(user.username, profile.avatar_version if profile.avatar else 0),
        "visible": profile_visible(profile, viewer),
        "bio": None,
        "interests": None,
        "home_commune": None,
        "organisations": None,
        "organises": None,
    }
    if not data["visible"]:
        return data
    mine = viewer is not None and getattr(viewer, "pk", None) == user.pk
    data.update(bio=profile.bio, interests=list(profile.interests))
    if profile.show_commune or mine:
        data["home_commune"] = user.home_commune_id
    if profile.show_organisations or mine:
        data["organisations"] = organisations_of_user(user=user)
        upcoming = Event.objects.filter(event_visible_filter(viewer), organisers=user, ends_at__gte=timezone.now())
        data["organises"] = [
            {"id": e.id, "title": e.title, "starts_at": e.starts_at.isoformat()}
            for e in upcoming.distinct().order_by("starts_at")[:20]
        ]
    if mine:
        data["settings"] = _settings(profile)
    return data


@router.get("/me", summary="Your profile, with its privacy settings")
def me(request: HttpRequest):
    user = user_required(request)
    return _profile_out(user, user)


@router.patch("/me", summary="Change your profile: display name, bio, interests, privacy")
def me_update(request: HttpRequest, payload: ProfilePatch):
    user = request_user(request)
    profile_update(user=user, changes=payload.changes(), ref=payload.ref)
    return _profile_out(user, user)


@router.put(
    "/me/avatar",
    summary="Set your avatar: the body is the picture (JPEG, PNG, WebP or GIF)",
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
def avatar_put(request: HttpRequest, ref: Ref | None = None):
    user = user_required(request)
    image = image_checked(request_image_bytes(request), max_side=AVATAR_SIDE)
    return avatar_set(user=user, image=image, ref=ref)


@router.delete("/me/avatar", summary="Remove your avatar")
def avatar_delete(request: HttpRequest, ref: Ref | None = None):
    return avatar_clear(user=request_user(request), ref=ref)


@router.get("", summary="Display names and avatars of the people named in `u` (comma-separated, ≤ 200)")
def brief(request: HttpRequest, u: str = ""):
    names = [n for n in dict.fromkeys(s.strip() for s in u.split(",")) if n][:200]
    found = people_brief(names)
    return {
        "items": {
            name: {
                "display_name": found.get(name, {}).get("display_name") or name,
                "avatar": avatar_url(name, found.get(name, {}).get("avatar_version", 0)),
            }
            for name in names
        }
    }


@router.get("/nearby", summary="People (who allow it) and organisations near you sharing your interests")
def people_nearby(request: HttpRequest, radius_km: float = 0.0):
    found = nearby(viewer=user_required(request), radius_km=radius_km)
    brief_of = people_brief([p["username"] for p in found["people"]])
    for p in found["people"]:
        p["avatar"] = avatar_url(p["username"], brief_of.get(p["username"], {}).get("avatar_version", 0))
    return found


@tags_router.get("", summary="Existing tags starting with q, most used first (suggestions)")
def tags_suggest(request: HttpRequest, q: str = "", limit: int = 10):
    if not 1 <= limit <= 50:
        raise AppError("bad_request", "limit must be between 1 and 50")
    return {"items": tag_suggestions(q=q[:40], limit=limit)}


@tags_router.get("/{tag}", summary="A tag's page: what carries it that you may read")
def tag_view(request: HttpRequest, tag: str):
    return tag_page(tag=tag, viewer=request_user(request))


@router.get("/{username}", summary="A person's profile, as their privacy settings allow you to see it")
def person(request: HttpRequest, username: str):
    return _profile_out(_person(username), request_user(request))


@router.get("/{username}/avatar", summary="A person's avatar (WebP)")
def avatar_get(request: HttpRequest, username: str):
    profile = profile_of(_person(username))
    if not profile.avatar:
        raise AppError("not_found", "no avatar")
    response = HttpResponse(bytes(profile.avatar), content_type=profile.avatar_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
