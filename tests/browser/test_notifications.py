"""Notifications in a real browser: invite a friend into a private room, mention them, a waitlist
promotion with no page open, reactions and unread badges; French and English, phone-sized."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import ARTIFACTS, unique

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"notifications-{name}.png"), full_page=True)


def _event_with_one_seat(server, organiser_token: str, seated_token: str, waiting_token: str) -> int:
    with server.api(organiser_token) as client:
        event = client.post(
            "/events",
            json={
                "title": "Atelier vélo",
                "starts_at": "2031-03-01T09:00:00",
                "ends_at": "2031-03-01T12:00:00",
                "capacity": 1,
            },
        ).json()["id"]
    for token, expected in ((seated_token, "going"), (waiting_token, "waitlisted")):
        with server.api(token) as client:
            assert client.post(f"/events/{event}/rsvp", json={"status": "going"}).json()["status"] == expected
    return event


def _invite_and_accept(owner, friend, friend_name: str, room_id: int) -> None:
    owner.goto(f"/#/members/{room_id}")
    owner.get_by_test_id("invite-username").fill(friend_name)
    owner.get_by_test_id("invite-username").press("Enter")
    expect(owner.get_by_test_id("members-status")).to_contain_text(friend_name)
    # The friend's bell counts it live; the inbox offers accept / decline (keyboard only).
    expect(friend.get_by_test_id("bell")).to_have_attribute("data-count", "1")
    shot(friend, "1-bell-en-phone")
    friend.get_by_test_id("bell").focus()
    friend.keyboard.press("Enter")
    expect(friend.get_by_test_id("invitation")).to_contain_text("invites you to")
    friend.get_by_test_id("accept").focus()
    friend.keyboard.press("Enter")
    expect(friend.get_by_test_id("invitations")).to_contain_text("No pending invitation")
    owner.reload()
    expect(owner.get_by_test_id("member").filter(has_text=friend_name)).to_contain_text("membre")
    shot(owner, "2-members-fr")


def test_invite_mention_promotion_reaction_and_unread(screens, daphne_server):
    owner_name, friend_name = unique("marie"), unique("john")
    owner = screens.signed_up("owner-fr", owner_name)
    friend = screens.signed_up("friend-en-phone", friend_name, phone=True)
    friend.get_by_test_id("lang-select").select_option("en")
    with daphne_server.api(screens.token_of(owner)) as client:
        room_id = client.post("/rooms", json={"name": "Jardin partagé", "visibility": "private"}).json()["id"]
    _invite_and_accept(owner, friend, friend_name, room_id)

    # A mention with the composer's autocomplete: "@" + the start of the name, Enter picks it.
    owner.goto(f"/#/room/{room_id}")
    composer = owner.get_by_test_id("composer")
    composer.press_sequentially(f"Tu viens samedi @{friend_name[:3]}")
    option = owner.get_by_test_id("mention-option").first
    expect(option).to_have_text(f"@{friend_name}")
    # Screen readers hear the option the arrows are on; a textarea takes no aria-expanded (axe).
    expect(option).to_have_attribute("aria-selected", "true")
    expect(composer).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    assert not axe_violations(owner)
    composer.press("Enter")
    expect(composer).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(composer).to_have_value(f"Tu viens samedi @{friend_name} ")
    composer.press("Enter")
    expect(owner.get_by_test_id("message")).to_have_count(1)
    expect(friend.get_by_test_id("notification").first).to_contain_text(
        f"{owner_name} mentioned you in “Jardin partagé”"
    )
    expect(friend.get_by_test_id("bell")).to_have_attribute("data-count", "2")
    assert friend.title().startswith("(2)")

    # A waitlist promotion reaches the friend on the inbox page: no event page is open.
    seated = daphne_server.register(unique("seated"))
    event_id = _event_with_one_seat(daphne_server, screens.token_of(owner), seated, screens.token_of(friend))
    with daphne_server.api(seated) as client:
        assert client.post(f"/events/{event_id}/rsvp", json={"status": "declined"}).status_code == 200
    expect(friend.get_by_test_id("notification").first).to_contain_text("A seat opened up")
    friend.reload()
    expect(friend.get_by_test_id("unread-badge")).to_have_attribute("data-count", "1")
    shot(friend, "3-inbox-en-phone")

    # In the room: the separator, a reaction seen live by the owner, the marker clears the badge.
    friend.get_by_test_id("my-room").click()
    expect(friend.get_by_test_id("new-since")).to_have_text("New messages since you left")
    friend.get_by_test_id("message").first.locator('[data-emoji="🎉"]').click()
    expect(owner.get_by_test_id("message").first.locator('[data-emoji="🎉"]')).to_have_attribute("data-count", "1")
    shot(owner, "4-room-reaction-fr")
    shot(friend, "5-room-en-phone")
    expect(friend.get_by_test_id("conn-status")).not_to_contain_text("pending")  # marker and reaction acknowledged
    friend.get_by_test_id("bell").click()
    friend.get_by_test_id("read-all").click()
    expect(friend.get_by_test_id("bell")).to_have_attribute("data-count", "0")
    expect(friend.get_by_test_id("unread-badge")).to_have_count(0)  # read marker advanced in the room
    assert not screens.console_errors, screens.console_errors


def test_preferences_page_saves_per_kind_and_channel_in_french(screens, daphne_server):
    name = unique("lea")
    page = screens.signed_up("prefs-fr-phone", name, phone=True)
    page.get_by_test_id("bell").click()
    page.get_by_test_id("pref-digest").select_option("hourly")
    page.locator('input[data-kind="reply"][data-channel="email"]').uncheck()
    page.get_by_test_id("prefs-save").click()
    expect(page.get_by_test_id("prefs-saved")).to_have_text("Préférences enregistrées.")
    with daphne_server.api(screens.token_of(page)) as client:
        prefs = client.get("/notifications/preferences").json()
    assert prefs["digest"] == "hourly" and prefs["kinds"]["reply"] == {"app": True, "email": False}
    shot(page, "6-preferences-fr-phone")
    assert not screens.console_errors, screens.console_errors


def test_a_moderator_removes_a_plain_member_and_nobody_else_in_english(screens, daphne_server):
    """The one removal rule on the members page: a moderator's page offers "remove" for plain
    members only; the removed member's open room page leaves on `member.removed`."""
    owner_name, mod_name, member_name = unique("owner"), unique("mod"), unique("member")
    owner_token = daphne_server.register(owner_name)
    member = screens.signed_up("member-en", member_name)
    mod = screens.signed_up("moderator-en-phone", mod_name, phone=True)
    for page in (member, mod):
        page.get_by_test_id("lang-select").select_option("en")
    with daphne_server.api(owner_token) as client:
        room_id = client.post("/rooms", json={"name": "Bureau", "visibility": "private"}).json()["id"]
        for name, role in ((mod_name, "moderator"), (member_name, "member")):
            assert (
                client.post(f"/rooms/{room_id}/invitations", json={"username": name, "role": role}).status_code == 201
            )
    for page in (mod, member):
        with daphne_server.api(screens.token_of(page)) as client:
            [invitation] = client.get("/rooms/invitations/pending").json()
            assert client.post(f"/rooms/invitations/{invitation['id']}/accept").status_code == 200
    member.goto(f"/#/room/{room_id}")
    expect(member.get_by_test_id("composer")).to_be_visible()
    mod.goto(f"/#/members/{room_id}")
    rows = mod.get_by_test_id("member")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text=owner_name).get_by_test_id("member-remove")).to_have_count(0)
    expect(rows.filter(has_text=mod_name).get_by_test_id("member-remove")).to_have_count(0)
    remove = rows.filter(has_text=member_name).get_by_test_id("member-remove")
    expect(remove).to_have_text(f"Remove {member_name}")
    shot(mod, "7-moderator-members-en-phone")
    remove.focus()
    mod.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(member).to_have_url(re.compile(r"#/inbox$"))  # the removed member's page left the room
    with daphne_server.api(screens.token_of(member)) as client:
        assert client.get(f"/rooms/{room_id}").status_code == 404
    assert not screens.console_errors, screens.console_errors
