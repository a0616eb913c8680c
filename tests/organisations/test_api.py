"""HTTP side of organisations: the page's data, membership requests seen by admins only, picture
uploads checked by Pillow (each refusal clear), search finding organisations without accents."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.test import Client
from PIL import Image

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def png_bomb(side: int = 20_000) -> bytes:
    """A valid PNG header announcing side×side pixels with a tiny compressed body (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * side  # filter byte + one grey byte per pixel
    body = zlib.compress(row * 64, 9)
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def jpeg_with_gps(size=(1600, 1200)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "S", 2: (21.0, 7.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def put_image(org, user, data: bytes, content_type: str = "image/png"):
    return Client().put(f"/api/organisations/{org.id}/image", data, content_type=content_type, **bearer(user))


def test_create_read_and_list(make_user, communes):
    alice = make_user()
    created = Client().post(
        "/api/organisations",
        {
            "kind": "ngo",
            "name": "Réunion Solidarité",
            "commune": "97416",
            "latitude": -21.34,
            "longitude": 55.47,
            "links": ["https://example.org"],
            "tags": ["solidarité"],
        },
        "application/json",
        **bearer(alice),
    )
    assert created.status_code == 201, created.json()
    org_id = created.json()["id"]
    page = Client().get(f"/api/organisations/{org_id}").json()
    assert page["name"] == "Réunion Solidarité" and page["admins"] == [alice.username]
    assert page["my"] is None and page["admin_topic"] is None and page["rooms"][0]["id"] == page["room"]["id"]
    mine = Client().get(f"/api/organisations/{org_id}", **bearer(alice)).json()
    assert mine["is_admin"] and mine["admin_topic"] == f"orgadmin:{org_id}"
    listed = Client().get("/api/organisations", {"commune": "97416", "tag": "solidarité"}).json()
    assert [o["id"] for o in listed["items"]] == [org_id] and listed["total"] == 1
    assert Client().get("/api/organisations", {"kind": "cult"}).status_code == 400
    assert (
        Client()
        .post("/api/organisations", {"kind": "ngo", "name": "x", "commune": "97416"}, "application/json")
        .status_code
        == 401
    )


def test_pending_requests_are_for_admins_only(make_user, make_organisation):
    alice, bob = make_user(), make_user()
    org = make_organisation(alice)
    assert Client().post(f"/api/organisations/{org.id}/join?ref=j1", **bearer(bob)).json()["status"] == "pending"
    assert Client().get(f"/api/organisations/{org.id}/members", **bearer(bob)).json()["pending"] is None
    pending = Client().get(f"/api/organisations/{org.id}/members", **bearer(alice)).json()["pending"]
    assert [p["username"] for p in pending] == [bob.username]
    decided = Client().post(
        f"/api/organisations/{org.id}/members/{bob.username}/decision",
        {"decision": "approve"},
        "application/json",
        **bearer(alice),
    )
    assert decided.json()["status"] == "active"
    assert Client().get(f"/api/organisations/{org.id}", **bearer(bob)).json()["my"] == {
        "role": "member",
        "status": "active",
    }


def test_a_picture_is_stripped_of_exif_and_resized(make_user, make_organisation):
    alice = make_user()
    org = make_organisation(alice)
    response = put_image(org, alice, jpeg_with_gps(), "image/jpeg")
    assert response.status_code == 200, response.json()
    served = Client().get(f"/api/organisations/{org.id}/image")
    assert served["Content-Type"] == "image/webp"
    image = Image.open(io.BytesIO(served.content))
    assert max(image.size) == 512
    assert not image.getexif() and "exif" not in image.info
    assert Client().get(f"/api/organisations/{org.id}").json()["image"].endswith("?v=1")


@pytest.mark.parametrize(
    ("name", "body", "content_type", "status", "words"),
    [
        ("text", b"hello, not a picture", "image/png", 400, "not a picture"),
        (
            "svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
            400,
            "SVG",
        ),
        ("bomb", png_bomb(), "image/png", 400, "too many pixels"),
        ("huge", b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024), "image/jpeg", 413, "larger than"),
    ],
)
def test_uploads_that_are_refused(make_user, make_organisation, name, body, content_type, status, words):
    alice = make_user()
    org = make_organisation(alice)
    response = put_image(org, alice, body, content_type)
    assert response.status_code == status, response.content[:200]
    assert words in response.json()["message"]
    org.refresh_from_db()
    assert org.image_version == 0


def test_only_admins_set_the_picture(make_user, make_organisation):
    org = make_organisation(make_user())
    response = put_image(org, make_user(), jpeg_with_gps((64, 64)), "image/jpeg")
    assert response.status_code == 403


def test_search_finds_an_organisation_typed_without_accents(make_user, make_organisation):
    make_organisation(make_user(), name="Comité des fêtes de Bellepierre", description="Fête de la musique, réunions")
    hits = Client().get("/api/search", {"q": "comite fetes", "kinds": "organisations"}).json()
    assert [h["title"] for h in hits["items"]] == ["Comité des fêtes de Bellepierre"]
    assert hits["items"][0]["kind"] == "organisations"


def test_search_finds_an_organisation_by_its_tags(make_user, make_organisation):
    make_organisation(make_user(), name="Association Vavang'", tags=["randonnée", "patrimoine"])
    hits = Client().get("/api/search", {"q": "randonnee", "kinds": "organisations"}).json()
    assert [h["title"] for h in hits["items"]] == ["Association Vavang'"]
