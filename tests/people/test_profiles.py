"""People: a profile as its privacy settings show it, avatars checked by Pillow (each refusal
clear), names and avatars beside acts, erasure removing the avatar and every profile field."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from accounts.models import Profile, TagUse
from tests.organisations.test_api import jpeg_with_gps, png_bomb

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def patch_me(user, **fields):
    return Client().patch("/api/people/me", fields, "application/json", **bearer(user))


def test_privacy_decides_who_sees_the_details(make_user, make_organisation):
    ana, ben = make_user(), make_user()
    org = make_organisation(ana, name="Les Jardins")
    response = patch_me(
        ana, display_name="Ana L.", bio="Jardinière", interests=["Jardin", "compost"], show_commune=True
    )
    assert response.status_code == 200, response.json()
    assert response.json()["settings"]["visibility"] == "signed_in"
    anonymous = Client().get(f"/api/people/{ana.username}").json()
    assert anonymous["display_name"] == "Ana L." and anonymous["visible"] is False and anonymous["bio"] is None
    seen = Client().get(f"/api/people/{ana.username}", **bearer(ben)).json()
    assert seen["bio"] == "Jardinière" and seen["interests"] == ["jardin", "compost"]
    assert [o["id"] for o in seen["organisations"]] == [org.id]
    patch_me(ana, visibility="private")
    assert Client().get(f"/api/people/{ana.username}", **bearer(ben)).json()["interests"] is None
    assert Client().get("/api/people/me", **bearer(ana)).json()["interests"] == ["jardin", "compost"]
    patch_me(ana, visibility="public", show_organisations=False)
    public = Client().get(f"/api/people/{ana.username}").json()
    assert public["bio"] == "Jardinière" and public["organisations"] is None
    assert set(TagUse.objects.filter(kind="person", object_id=ana.id).values_list("tag", flat=True)) == {
        "jardin",
        "compost",
    }


def test_bad_profile_input_is_refused(make_user):
    ana = make_user()
    assert patch_me(ana, visibility="everyone").status_code == 400
    assert patch_me(ana, interests=["#" * 3]).status_code == 400
    assert patch_me(ana, display_name=None).status_code == 400
    assert patch_me(ana, nickname="x").status_code == 400  # unknown field


def test_avatar_stripped_resized_and_shown_beside_the_name(make_user):
    ana = make_user()
    upload = Client().put("/api/people/me/avatar", jpeg_with_gps(), content_type="image/jpeg", **bearer(ana))
    assert upload.status_code == 200, upload.json()
    brief = Client().get("/api/people", {"u": f"{ana.username},nobody"}).json()["items"]
    assert brief["nobody"] == {"display_name": "nobody", "avatar": None}
    picture = Client().get(brief[ana.username]["avatar"])
    image = Image.open(io.BytesIO(picture.content))
    assert picture["Content-Type"] == "image/webp" and max(image.size) == 256 and "exif" not in image.info
    assert Client().delete("/api/people/me/avatar", **bearer(ana)).status_code == 200
    assert Client().get("/api/people", {"u": ana.username}).json()["items"][ana.username]["avatar"] is None


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"just some text", "image/png", 400, "not a picture"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml", 400, "SVG"),
        (png_bomb(), "image/png", 400, "too many pixels"),
        (b"\x89PNG" + b"\x00" * (20 * 1024 * 1024), "image/png", 413, "larger than"),
    ],
)
def test_avatar_refusals(make_user, body, content_type, status, words):
    ana = make_user()
    response = Client().put("/api/people/me/avatar", body, content_type=content_type, **bearer(ana))
    assert response.status_code == status and words in response.json()["message"]
    assert not Profile.objects.filter(user=ana, avatar_version__gt=0).exists()


def test_erasure_removes_the_avatar_and_profile(make_user):
    from accounts.services import user_erase

    ana = make_user()
    ana.set_password("erase-me-please")
    ana.save()
    patch_me(ana, bio="À effacer", interests=["jardin"], visibility="public")
    Client().put("/api/people/me/avatar", jpeg_with_gps((64, 64)), content_type="image/jpeg", **bearer(ana))
    name = ana.username
    user_erase(user=ana, password="erase-me-please")
    assert not Profile.objects.filter(user_id=ana.id).exists()
    assert not TagUse.objects.filter(kind="person", object_id=ana.id).exists()
    assert Client().get(f"/api/people/{name}").status_code == 404


def test_search_finds_people_only_as_their_privacy_allows(make_user):
    """Typed without accents; a private profile is never found by others, on either database."""
    public, members, private, reader = make_user(), make_user(), make_user(), make_user()
    patch_me(public, display_name="Hélène Publique", bio="Randonnée au Maïdo", visibility="public")
    patch_me(members, display_name="Hélène Connectée", bio="Randonnée", visibility="signed_in")
    patch_me(private, display_name="Hélène Secrète", bio="Randonnée", visibility="private")

    def names(client_kwargs) -> list[str]:
        hits = Client().get("/api/search", {"q": "helene randonnee", "kinds": "people"}, **client_kwargs).json()
        return sorted(h["title"] for h in hits["items"])

    assert names({}) == ["Hélène Publique"]
    assert names(bearer(reader)) == ["Hélène Connectée", "Hélène Publique"]
    assert names(bearer(private)) == ["Hélène Connectée", "Hélène Publique", "Hélène Secrète"]
    hit = Client().get("/api/search", {"q": "maido", "kinds": "people"}).json()["items"][0]
    assert hit["username"] == public.username and hit["commune"] is None
    total = Client().get("/api/search", {"q": "secrete"}, **bearer(reader)).json()["total"]
    assert total == 0
