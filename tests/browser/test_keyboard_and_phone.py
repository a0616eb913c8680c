"""Keyboard-only and phone use of a room, and a newcomer's first screen after signing up."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_debate import make_room
from tests.browser.test_event import create_event
from tests.browser.test_room import create_room

pytestmark = pytest.mark.browser


def room_with_messages(server, count: int) -> tuple[int, str]:
    token = server.register(unique("bavard"))
    room_id = create_room(server, token, "Marché forain")
    with server.api(token) as client:
        for i in range(count):
            response = client.post(
                f"/rooms/{room_id}/messages", json={"body": f"Message numéro {i + 1}", "ref": f"m{i}"}
            )
            assert response.status_code in (200, 201), response.text
    return room_id, token


def focused_testid(page) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.dataset.testid || null")


def test_keyboard_only_posting_from_the_skip_link(screens, daphne_server):
    room_id, _ = room_with_messages(daphne_server, 12)  # twelve "Répondre" buttons in the way, before
    page = screens.signed_up("keyboard", unique("clavier"))
    page.goto(f"/#/room/{room_id}")
    expect(page.get_by_test_id("message")).to_have_count(12)
    page.reload()
    expect(page.get_by_test_id("message")).to_have_count(12)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip-link"
    page.keyboard.press("Enter")
    assert page.url.endswith(f"#/room/{room_id}")  # the skip link is not a route
    assert page.evaluate("document.activeElement.id") == "main"
    presses = 0
    # Members link, the message list (one stop), the focused message's toolbar (one stop: reply,
    # report and reactions are walked with arrow keys), then the composer (59 presses once).
    while focused_testid(page) != "composer" and presses < 5:
        page.keyboard.press("Tab")
        presses += 1
    assert focused_testid(page) == "composer", f"composer not reached in {presses} Tab presses"

    page.keyboard.type("Envoyé au clavier seulement")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message").last.get_by_test_id("message-body")).to_have_text(
        "Envoyé au clavier seulement"
    )
    assert page.url.endswith(f"#/room/{room_id}")

    # The list is one tab stop; arrow keys walk it, and its buttons open only on the focused message.
    page.keyboard.press("Shift+Tab")
    assert focused_testid(page) == "message"
    last = page.evaluate("document.activeElement.dataset.seq")
    page.keyboard.press("ArrowUp")
    assert int(page.evaluate("document.activeElement.dataset.seq")) < int(last)
    page.keyboard.press("Home")
    assert (
        page.evaluate("document.activeElement.querySelector('[data-testid=message-body]').textContent")
        == "Message numéro 1"
    )
    expect(page.get_by_test_id("message")).to_have_count(13)  # focusing old messages loaded nothing
    page.keyboard.press("Tab")
    assert focused_testid(page) == "reply"
    # The message's other buttons are on the arrow keys, not on Tab: report, then the reactions.
    page.keyboard.press("ArrowRight")
    assert focused_testid(page) == "report"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.emoji") == "👍"
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")  # wraps to the first
    assert focused_testid(page) == "reply"
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.dataset.emoji") == "🙏"
    page.keyboard.press("Escape")
    assert focused_testid(page) == "message"
    page.keyboard.press("Tab")  # back to the button used last
    assert page.evaluate("document.activeElement.dataset.emoji") == "🙏"
    page.keyboard.press("Tab")
    assert focused_testid(page) == "composer"
    page.keyboard.press("Shift+Tab")
    assert focused_testid(page) == "message"
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")
    assert focused_testid(page) == "reply"
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("reply-banner")).to_contain_text("Message numéro 1")
    assert focused_testid(page) == "composer"
    assert not screens.console_errors, screens.console_errors


def test_phone_layout_keeps_composer_and_send_in_view(screens, daphne_server):
    room_id, _ = room_with_messages(daphne_server, 30)
    page = screens.signed_up("phone", unique("telephone"), phone=True)
    page.goto(f"/#/room/{room_id}")
    expect(page.get_by_test_id("message")).to_have_count(30)
    assert page.evaluate("window.scrollY") == 0
    for testid in ("composer", "send", "presence-count"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844, (testid, box)
    header = page.locator(".topbar").bounding_box()
    assert header["height"] < 90, header  # two lines at most
    # The message pane still shows several messages.
    assert page.get_by_test_id("scroller").bounding_box()["height"] > 250

    # A long message is folded, with a button to read it all; an empty one is refused with a reason.
    page.get_by_test_id("composer").fill("Très long. " * 300)
    page.get_by_test_id("send").click()
    long = page.get_by_test_id("message").last
    expect(long.get_by_test_id("show-more")).to_be_visible()
    assert long.get_by_test_id("message-body").bounding_box()["height"] < 200
    page.get_by_test_id("composer").fill("   ")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("composer-error")).to_have_text("Message vide : écrivez quelque chose avant d'envoyer.")
    page.get_by_test_id("composer").fill("x" * 4001)
    expect(page.get_by_test_id("composer-count")).to_have_text("4 001 / 4 000 caractères")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("composer-error")).to_contain_text("Message trop long")
    assert page.get_by_test_id("composer").input_value() == "x" * 4001  # nothing cut
    page.get_by_test_id("composer").fill("")

    # Offline, the page does not pretend to know who is online.
    expect(page.get_by_test_id("presence-user")).to_have_count(1)
    page.context.set_offline(True)
    expect(page.get_by_test_id("presence-offline")).to_be_visible()
    expect(page.get_by_test_id("presence-list")).to_be_hidden()
    expect(page.get_by_test_id("presence-count")).to_have_text("Présents : inconnu (hors ligne)")
    page.context.set_offline(False)
    expect(page.get_by_test_id("presence-list")).to_be_visible()
    expect(page.get_by_test_id("presence-count")).to_have_attribute("data-count", "1")
    assert not screens.console_errors, screens.console_errors


def test_newcomer_lands_on_the_communes_and_their_activity(screens, daphne_server):
    token = daphne_server.register(unique("orga"))
    title = "Fête de la musique au Barachois"
    soon = datetime.now(UTC) + timedelta(minutes=30)  # the first of the upcoming events shown
    create_event(
        daphne_server,
        token,
        title=title,
        commune="97411",
        starts_at=soon.isoformat(),
        ends_at=(soon + timedelta(hours=3)).isoformat(),
    )
    with daphne_server.api(token) as client:
        made = client.post("/rooms", json={"name": "Parents d'élèves", "visibility": "public", "commune": "97411"})
        assert made.status_code == 201, made.text
    page = screens.signed_up("newcomer", unique("nouveau"), phone=True)
    page.goto("/")
    expect(page.get_by_test_id("overview-events").get_by_test_id("event-link").filter(has_text=title)).to_be_visible()
    expect(page.get_by_test_id("overview-events")).to_contain_text("Saint-Denis")
    expect(page.get_by_test_id("overview-rooms")).to_contain_text("Parents d'élèves")
    expect(page.get_by_test_id("commune-link")).to_have_count(24)
    expect(page.get_by_test_id("landing-map")).to_have_attribute("data-communes", "24")  # and their map
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_newcomer_lands-first-screen.png"), full_page=True)
    page.get_by_test_id("commune-link").filter(has_text="Saint-Denis").click()
    expect(page.get_by_test_id("commune-name")).to_have_text("Saint-Denis")
    expect(page.get_by_test_id("commune-events")).to_contain_text(title)
    assert not screens.console_errors, screens.console_errors


def in_view(page, testid: str) -> None:
    box = page.get_by_test_id(testid).bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844 and box["x"] + box["width"] <= 390, (testid, box)


def test_phone_room_with_a_live_debate_has_discussion_and_debate_tabs(screens, daphne_server):
    moderator = screens.signed_up("debate-moderator", unique("mod"))
    name = unique("ana")
    phone = screens.signed_up("debate-phone", name, phone=True)
    room_id = make_room(daphne_server, screens.token_of(moderator), turn_limit=90)
    with daphne_server.api(screens.token_of(phone)) as client:
        assert client.post(f"/rooms/{room_id}/join", json={}).status_code in (200, 201)
        for i in range(20):
            posted = client.post(f"/rooms/{room_id}/messages", json={"body": f"Avis numéro {i + 1}", "ref": f"a{i}"})
            assert posted.status_code == 201, posted.text
    moderator.goto(f"/#/room/{room_id}")
    # The debate panel has read the room's debate (its moderator controls show) before typing: a
    # question typed into a page still opening was once lost (the click sent an empty one).
    expect(moderator.get_by_test_id("floor-moderation")).to_be_visible()
    moderator.get_by_test_id("ask-body").fill("Où passera la navette du dimanche ?")
    expect(moderator.get_by_test_id("ask-body")).to_have_value("Où passera la navette du dimanche ?")
    moderator.get_by_test_id("ask-submit").click()
    expect(moderator.get_by_test_id("question")).to_have_count(1)
    moderator.get_by_test_id("quick-vote-toggle").click()
    moderator.get_by_test_id("quick-title").fill("Prolonger la séance ?")
    moderator.get_by_test_id("quick-open").click()
    expect(moderator.get_by_test_id("vote-title")).to_contain_text("Prolonger la séance")
    # A wide screen keeps both parts, the debate above the messages, and no tabs.
    expect(moderator.get_by_test_id("room-tabs")).to_be_hidden()
    expect(moderator.get_by_test_id("composer")).to_be_visible()

    # The phone opens on the discussion: composer and send in view without scrolling; the debate
    # tab says a vote is open.
    phone.goto(f"/#/room/{room_id}")
    expect(phone.get_by_test_id("message")).to_have_count(20)
    expect(phone.get_by_test_id("tab-discussion")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("panel-debate")).to_be_hidden()
    expect(phone.get_by_test_id("tab-debate-vote")).to_have_text("Vote ouvert")
    assert phone.evaluate("window.scrollY") == 0
    for testid in ("composer", "send", "tab-debate"):
        in_view(phone, testid)
    assert phone.get_by_test_id("scroller").bounding_box()["height"] > 200
    # A question asked meanwhile shows as new on the debate tab.
    moderator.get_by_test_id("ask-body").fill("Et le parking du marché ?")
    moderator.get_by_test_id("ask-submit").click()
    expect(phone.get_by_test_id("tab-debate-questions")).to_have_text("1 nouvelle question")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-discussion-tab.png"))
    assert not axe_violations(phone)

    # Keyboard: the tabs are one stop, the arrow keys switch; the debate's own actions are there.
    phone.get_by_test_id("tab-discussion").focus()
    phone.keyboard.press("ArrowRight")
    expect(phone.get_by_test_id("tab-debate")).to_be_focused()
    expect(phone.get_by_test_id("tab-debate")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("panel-debate")).to_have_attribute("role", "tabpanel")
    expect(phone.get_by_test_id("panel-discussion")).to_be_hidden()
    expect(phone.get_by_test_id("tab-debate-questions")).to_be_hidden()  # seen now
    question = phone.get_by_test_id("question").filter(has_text="navette du dimanche")
    question.get_by_test_id("upvote").click()
    expect(question.get_by_test_id("upvote")).to_have_attribute("aria-pressed", "true")
    phone.get_by_test_id("quick-vote-up").click()
    expect(phone.get_by_test_id("quick-vote-up")).to_have_attribute("aria-pressed", "true")
    phone.get_by_test_id("hand-toggle").click()
    expect(phone.get_by_test_id("hand-toggle")).to_have_attribute("aria-pressed", "true")
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-debate-tab.png"), full_page=True)
    assert not axe_violations(phone)

    # Back on the discussion, the floor given: announced, and shown above the tabs and on the tab.
    phone.get_by_test_id("tab-debate").focus()
    phone.keyboard.press("Home")
    expect(phone.get_by_test_id("panel-discussion")).to_be_visible()
    moderator.get_by_test_id("floor-next").click()
    expect(phone.get_by_test_id("announcer")).to_contain_text("Vous avez la parole")
    expect(phone.get_by_test_id("floor-banner")).to_have_text("Vous avez la parole.")
    expect(phone.get_by_test_id("tab-debate-floor")).to_have_text("Votre tour")
    for testid in ("floor-banner", "composer", "send"):
        in_view(phone, testid)
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-floor-banner.png"))
    phone.get_by_test_id("composer").fill("Je prends la parole depuis mon téléphone")
    phone.get_by_test_id("send").click()
    expect(moderator.get_by_test_id("message").last).to_contain_text("depuis mon téléphone")
    # The vote closed now: the debate tab no longer says a vote is open.
    expect(phone.get_by_test_id("tab-debate-vote")).to_be_visible()
    moderator.get_by_test_id("vote-close-now").click()
    expect(moderator.get_by_test_id("vote-result")).to_have_attribute("data-result", "adopted")
    expect(phone.get_by_test_id("tab-debate-vote")).to_be_hidden()

    # In English.
    phone.get_by_test_id("lang-select").select_option("en")
    expect(phone.get_by_test_id("tab-debate")).to_contain_text("Debate")
    expect(phone.get_by_test_id("floor-banner")).to_have_text("You have the floor.")
    expect(phone.get_by_test_id("tab-debate-floor")).to_have_text("Your turn")
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-en.png"))
    assert not screens.console_errors, screens.console_errors


def test_phone_header_folds_the_links_behind_a_menu_button(screens, daphne_server):
    page = screens.signed_up("header", unique("menu"), phone=True)
    page.goto("/#/commune")
    toggle = page.get_by_test_id("nav-toggle")
    expect(toggle).to_have_text("Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("nav-account")).to_be_hidden()
    header = page.locator(".topbar").bounding_box()
    assert header["height"] < 90, header
    in_view(page, "bell")  # the bell stays outside the menu
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Keyboard: open, every link reachable and inside the screen, Escape closes back to the button.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    links = ("nav-commune", "nav-search", "nav-mine", "nav-profile", "nav-account", "signout")
    for testid in links:
        expect(page.get_by_test_id(testid)).to_be_visible()
        in_view(page, testid)
    page.keyboard.press("Tab")
    assert focused_testid(page) == "nav-commune"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-header-menu-open.png"))
    assert not axe_violations(page)
    # Focus is trapped while it is open: past the last link Tab comes back to the button, and
    # Shift+Tab from the button goes to the last link, not to the page behind the menu.
    for _ in links[1:]:
        page.keyboard.press("Tab")
    assert focused_testid(page) == "signout"
    page.keyboard.press("Tab")
    assert focused_testid(page) == "nav-toggle"
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Shift+Tab")
    assert focused_testid(page) == "signout"
    page.keyboard.press("Shift+Tab")
    assert focused_testid(page) == "nav-account"
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.get_by_test_id("nav-account")).to_be_hidden()

    # A link chosen closes the menu; English labels.
    toggle.click()
    page.get_by_test_id("nav-account").click()
    expect(page).to_have_url(re.compile(r"#/account$"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.get_by_test_id("lang-select").select_option("en")
    toggle.click()
    expect(page.get_by_test_id("nav-account")).to_have_text("My account")
    expect(page.get_by_test_id("signout")).to_have_text("Sign out")
    in_view(page, "signout")
    page.screenshot(path=str(ARTIFACTS / "phone-header-menu-en.png"))
    assert not screens.console_errors, screens.console_errors


def test_phone_room_gets_its_tabs_live_when_a_debate_starts(screens, daphne_server):
    """The phone opened the room before any debate: no tabs. The moderator asks the first question
    while Ana types a message: the Discussion / Débat tabs appear without a reload, the question
    counted as new, and her composer keeps its focus, caret and text."""
    moderator = screens.signed_up("debate-late-moderator", unique("mod"))
    phone = screens.signed_up("debate-late-phone", unique("ana"), phone=True)
    room_id = make_room(daphne_server, screens.token_of(moderator))  # no debate settings: not running
    with daphne_server.api(screens.token_of(phone)) as client:
        assert client.post(f"/rooms/{room_id}/join", json={}).status_code in (200, 201)
    phone.goto(f"/#/room/{room_id}")
    expect(phone.get_by_test_id("composer")).to_be_visible()
    expect(phone.get_by_test_id("debate")).to_be_attached()  # the panel is there, its topics followed
    assert phone.get_by_test_id("room-tabs").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-late-before.png"))
    # Ana is typing a message when the debate starts: the tabs move the composer into their panel.
    phone.get_by_test_id("composer").click()
    phone.keyboard.type("Je disais")

    with daphne_server.api(screens.token_of(moderator)) as client:
        asked = client.post(f"/debates/{room_id}/questions", json={"body": "On commence par le budget ?"})
        assert asked.status_code == 201, asked.text
    expect(phone.get_by_test_id("room-tabs")).to_be_visible()
    # She goes on typing where she was, without touching the screen again: the move kept the focus
    # (and a phone's keyboard) and the caret, so nothing she types is lost.
    assert focused_testid(phone) == "composer"
    phone.keyboard.type(" que le parc ferme tôt.")
    expect(phone.get_by_test_id("composer")).to_have_value("Je disais que le parc ferme tôt.")
    phone.keyboard.press("Enter")
    expect(phone.get_by_test_id("message-body").last).to_contain_text("Je disais que le parc ferme tôt.")
    expect(phone.get_by_test_id("composer")).to_have_value("")
    expect(phone.get_by_test_id("tab-discussion")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("tab-debate-questions")).to_have_text("1 nouvelle question")
    for testid in ("composer", "send", "tab-debate"):
        in_view(phone, testid)
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-late-tabs.png"))
    assert not axe_violations(phone)

    # Keyboard: the arrow key opens the debate tab, the question is there.
    phone.get_by_test_id("tab-discussion").focus()
    phone.keyboard.press("ArrowRight")
    expect(phone.get_by_test_id("tab-debate")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("panel-debate").get_by_test_id("question")).to_contain_text("budget")
    expect(phone.get_by_test_id("panel-discussion")).to_be_hidden()

    phone.get_by_test_id("lang-select").select_option("en")
    expect(phone.get_by_test_id("tab-debate")).to_contain_text("Debate")
    expect(phone.get_by_test_id("tab-discussion")).to_contain_text("Discussion")
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-late-en.png"))
    assert not screens.console_errors, screens.console_errors


def test_phone_question_being_typed_stays_in_view_when_the_debate_starts(screens, daphne_server):
    """Ana types a question on her phone before anyone has asked one (no tabs yet). Another question
    starts the debate: the tabs appear with "Débat" open, her question box still focused, and she
    finishes and sends it without touching the screen again."""
    moderator = screens.signed_up("debate-typing-moderator", unique("mod"))
    phone = screens.signed_up("debate-typing-phone", unique("ana"), phone=True)
    room_id = make_room(daphne_server, screens.token_of(moderator))
    with daphne_server.api(screens.token_of(phone)) as client:
        assert client.post(f"/rooms/{room_id}/join", json={}).status_code in (200, 201)
    phone.goto(f"/#/room/{room_id}")
    expect(phone.get_by_test_id("ask-body")).to_be_visible()
    assert phone.get_by_test_id("room-tabs").count() == 0
    phone.get_by_test_id("ask-body").click()
    phone.keyboard.type("Et les horaires")

    with daphne_server.api(screens.token_of(moderator)) as client:
        asked = client.post(f"/debates/{room_id}/questions", json={"body": "On commence par le budget ?"})
        assert asked.status_code == 201, asked.text
    expect(phone.get_by_test_id("tab-debate")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("panel-discussion")).to_be_hidden()
    assert focused_testid(phone) == "ask-body"
    phone.keyboard.type(" du parc ?")
    expect(phone.get_by_test_id("ask-body")).to_have_value("Et les horaires du parc ?")
    phone.keyboard.press("Tab")  # the anonymous box, then the button
    phone.keyboard.press("Tab")
    assert focused_testid(phone) == "ask-submit"
    phone.keyboard.press("Enter")
    expect(phone.get_by_test_id("questions")).to_contain_text("Et les horaires du parc ?")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-debate-typing-question.png"))
    assert not screens.console_errors, screens.console_errors
