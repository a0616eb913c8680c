"""People in the browser: a profile edited on a phone (FR) with an avatar (an SVG refused), seen by
another person (EN) as its privacy allows, and the avatar beside the person's messages and in the
room's presence list."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_event import create_event
from tests.browser.test_room import create_room, post_from_ui

pytestmark = pytest.mark.browser


def png_bytes(colour=(200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "PNG")
    return out.getvalue()


def test_profile_avatar_privacy_and_avatars_beside_messages(screens, daphne_server):
    ana_name, ben_name = unique("ana"), unique("ben")
    ana = screens.signed_up("ana-phone", ana_name, phone=True)
    ana.get_by_test_id("nav-toggle").click()  # a phone: the links are behind the menu button
    ana.get_by_test_id("nav-profile").click()
    ana.get_by_test_id("profile-display-name").fill("Ana Técher")
    ana.get_by_test_id("profile-bio").fill("Vélo et jardins créoles.")
    ana.get_by_test_id("profile-interests").fill("vélo, Jardin Créole")
    ana.get_by_test_id("profile-visibility").select_option("signed_in")
    ana.get_by_test_id("profile-save").click()
    expect(ana.get_by_test_id("profile-status")).to_have_text("Profil enregistré.")
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    ana.get_by_test_id("profile-avatar").set_input_files(
        files=[{"name": "x.svg", "mimeType": "image/svg+xml", "buffer": svg}]
    )
    expect(ana.get_by_test_id("profile-avatar-status")).to_contain_text("SVG")
    ana.get_by_test_id("profile-avatar").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    expect(ana.get_by_test_id("profile-avatar-status")).to_have_text("Photo enregistrée.")
    expect(ana.locator('img[data-testid="person-avatar"]')).to_be_visible()
    ana.screenshot(path=str(ARTIFACTS / "people-profile-edit-phone-fr.png"), full_page=True)

    # Signed out, the details are hidden; signed in (ben, in English) they show.
    anonymous = screens.new_page("anonymous")
    anonymous.goto(f"/#/person/{ana_name}")
    expect(anonymous.get_by_test_id("person-name")).to_have_text("Ana Técher")
    expect(anonymous.get_by_test_id("person-hidden")).to_be_visible()
    ben = screens.signed_up("ben-desktop", ben_name)
    ben.get_by_test_id("lang-select").select_option("en")
    ben.goto(f"/#/person/{ana_name}")
    expect(ben.get_by_test_id("person-bio")).to_have_text("Vélo et jardins créoles.")
    expect(ben.get_by_test_id("person-interests")).to_contain_text("#jardin-créole")

    # In a room: ana's avatar beside her message and in the presence list, on ben's screen.
    room = create_room(daphne_server, screens.token_of(ana), unique("Salon vélo "))
    ana.goto(f"/#/room/{room}")
    ben.goto(f"/#/room/{room}")
    post_from_ui(ana, "Qui vient rouler samedi ?")
    message = ben.locator(f'[data-author="{ana_name}"]').last
    expect(message.locator('[data-testid="avatar"][data-avatar="image"] img')).to_be_visible()
    presence = ben.get_by_test_id("presence-user").filter(has_text=ana_name)
    expect(presence.locator('[data-avatar="image"]')).to_have_count(1)
    expect(
        ben.get_by_test_id("presence-user").filter(has_text=ben_name).locator('[data-avatar="initial"]')
    ).to_have_count(1)

    # An event that shows its participants: ana going, with her avatar, on ben's screen.
    event = create_event(daphne_server, screens.token_of(ana), show_participants=True, title=unique("Balade "))
    with daphne_server.api(screens.token_of(ana)) as client:
        assert client.post(f"/events/{event['id']}/rsvp", json={"status": "going"}).status_code == 200
    ben.goto(f"/#/event/{event['id']}")
    participant = ben.locator(f'[data-testid="participant"][data-user="{ana_name}"]')
    expect(participant.locator('[data-avatar="image"] img')).to_be_visible()
    expect(participant.get_by_role("link")).to_have_text(ana_name)  # the attendee list gives names, not profiles
    assert all("400" in e for e in screens.console_errors), screens.console_errors
