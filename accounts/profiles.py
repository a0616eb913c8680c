"""People's profiles: reads and writes (display name, avatar, bio, interests, privacy).

The display name and avatar are shown wherever a person acts, to whoever sees that act; the bio,
interests, home commune and organisations only to whom `visibility` allows (and the commune and
organisations only when the person chose to show them)."""

from __future__ import annotations

from accounts.images import StoredImage
from accounts.models import Profile, TagUse, User
from accounts.tags import tags_index_set
from realtime.auth import signed_in
from realtime.writes import user_write

PERSON = "person"


def profile_of(user: User) -> Profile:
    """The user's profile; an unsaved default one when they never wrote it."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)


def profile_visible(profile: Profile, viewer) -> bool:
    """Whether `viewer` sees the profile's details (bio, interests, and what it chose to show)."""
    if signed_in(viewer) and viewer.pk == profile.user_id:
        return True
    if profile.visibility == Profile.PUBLIC:
        return True
    return profile.visibility == Profile.SIGNED_IN and signed_in(viewer)


def people_brief(usernames: list[str]) -> dict[str, dict]:
    """{username: {display_name, avatar_version}} for names shown beside acts (messages, presence)."""
    rows = Profile.objects.filter(user__username__in=usernames[:200], user__is_active=True).values_list(
        "user__username", "display_name", "avatar_version", "avatar_type"
    )
    return {
        name: {"display_name": display, "avatar_version": version if kind else 0}
        for name, display, version, kind in rows
    }


def _locked(user: User) -> Profile:
    Profile.objects.get_or_create(user=user)
    return Profile.objects.select_for_update().get(user=user)


@user_write("profile_update")
def profile_update(*, user: User, changes: dict, ref: str | None = None) -> dict:
    """Change the fields given (validated by accounts.inputs.ProfilePatch); interests feed the tag index."""
    profile = _locked(user)
    for name, value in changes.items():
        setattr(profile, name, value)
    profile.save()
    if "interests" in changes:
        tags_index_set(kind=PERSON, object_id=user.pk, tags=profile.interests)
    return {"changed": sorted(changes)}


@user_write("avatar_set")
def avatar_set(*, user: User, image: StoredImage, ref: str | None = None) -> dict:
    """Set the avatar (already checked, stripped and resized by accounts.images)."""
    profile = _locked(user)
    profile.avatar, profile.avatar_type = image.data, image.content_type
    profile.avatar_version += 1
    profile.save(update_fields=["avatar", "avatar_type", "avatar_version", "updated_at"])
    return {"avatar_version": profile.avatar_version, "width": image.width, "height": image.height}


@user_write("avatar_clear")
def avatar_clear(*, user: User, ref: str | None = None) -> dict:
    profile = _locked(user)
    profile.avatar, profile.avatar_type = None, ""
    profile.avatar_version += 1  # a new URL, so no cache keeps the old picture
    profile.save(update_fields=["avatar", "avatar_type", "avatar_version", "updated_at"])
    return {"avatar_version": profile.avatar_version}


def user_profile_erase(*, user: User) -> None:
    """Account erasure (settings.ACCOUNT_ERASERS): the profile (avatar bytes included) and the
    person's interests in the tag index go. Runs in the caller's transaction."""
    Profile.objects.filter(user=user).delete()
    TagUse.objects.filter(kind=PERSON, object_id=user.pk).delete()
