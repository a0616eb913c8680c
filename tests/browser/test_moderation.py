"""Co-moderation in a real browser: three people report a message (one by keyboard on a phone),
it disappears live for everyone; the room's moderator votes in the moderation queue (the last
elector's ballot closes the vote); the message is removed live; the author reads why; the moderator bans and the audit
log shows it all — in French and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique
from tests.browser.test_debate import open_room

pytestmark = pytest.mark.browser

TEXT = "Un message vraiment injurieux"


def test_reports_hide_live_the_queue_decides_and_the_moderator_bans(screens, daphne_server):
    owner = screens.signed_up("moderator", unique("marie"))
    author_name = unique("auteur")
    author = screens.signed_up("author", author_name)
    reporter = screens.signed_up("reporter-phone", unique("lucie"), phone=True)
    with daphne_server.api(screens.token_of(owner)) as client:
        room = client.post("/rooms", json={"name": unique("Quartier "), "visibility": "public"}).json()
    with daphne_server.api(screens.token_of(author)) as client:
        message = client.post(f"/rooms/{room['id']}/messages", json={"body": TEXT}).json()
    english = screens.new_page("watcher-en", phone=True)
    english.add_init_script("localStorage.setItem('cl.lang', 'en')")
    for page in (english, reporter, author):
        page.goto(f"/#/room/{room['id']}")
        expect(page.get_by_test_id("message-body").first).to_have_text(TEXT)
    expect(author.get_by_test_id("report")).to_have_count(0)  # nobody reports their own words

    for _ in range(2):
        with daphne_server.api(daphne_server.register(unique("voisin"))) as client:
            response = client.post(
                "/moderation/reports", json={"kind": "message", "item": message["id"], "reason": "insulte"}
            )
            assert response.status_code == 200 and response.json()["hidden"] is False

    # The third report, by keyboard on a phone; an empty reason is refused first.
    entry = reporter.get_by_test_id("message").first
    entry.focus()
    reporter.keyboard.press("Tab")
    expect(entry.get_by_test_id("reply")).to_be_focused()
    reporter.keyboard.press("ArrowRight")  # the message's buttons are one tab stop, walked by arrows
    expect(entry.get_by_test_id("report")).to_be_focused()
    reporter.keyboard.press("Enter")
    panel = reporter.locator('[data-testid="report-panel"]:visible')
    expect(panel.get_by_test_id("report-reason")).to_be_focused()
    panel.get_by_test_id("report-submit").click()
    expect(panel.get_by_test_id("report-error")).to_have_text("Donnez une raison à votre signalement.")
    panel.get_by_test_id("report-reason").fill("Propos haineux envers un voisin")
    reporter.keyboard.press("Tab")
    reporter.keyboard.press("Enter")
    expect(panel.get_by_test_id("report-status")).to_contain_text("masqué jusqu'au vote de modération")
    expect(english.get_by_test_id("message")).to_have_attribute("data-hidden", "true")
    expect(english.get_by_test_id("message-body")).to_have_text("Message hidden: reported, awaiting a moderation vote")
    expect(author.get_by_test_id("message-body")).to_have_text(
        "Message masqué : signalé, en attente d'un vote de modération"
    )

    # The moderator's queue: the hidden text, the reasons, a secret vote. The owner is the only
    # elector here: their ballot is the last one, so the vote closes by itself.
    owner.goto(f"/#/room/{room['id']}")
    owner.get_by_test_id("moderation-link").click()
    case = owner.get_by_test_id("case")
    expect(case.get_by_test_id("case-text")).to_have_text(TEXT)
    expect(case.get_by_test_id("case-reports")).to_have_text("3 signalements")
    expect(case).to_contain_text("Propos haineux envers un voisin")
    expect(case.get_by_test_id("case-close")).to_be_visible()  # moderators may also close it now
    case.get_by_test_id("case-remove").click()
    expect(owner.get_by_test_id("queue-empty")).to_be_visible()
    expect(owner.get_by_test_id("decided-case")).to_have_attribute("data-status", "removed")
    expect(english.get_by_test_id("message-body")).to_have_text("Message deleted")

    # The author is told what was decided, and why.
    author.reload()
    expect(author.get_by_test_id("my-moderation-item")).to_have_attribute("data-status", "removed")
    expect(author.get_by_test_id("my-moderation")).to_contain_text("Propos haineux envers un voisin")

    # Ban, then the audit log tells the story.
    owner.get_by_test_id("sanction-user").fill(author_name)
    owner.get_by_test_id("sanction-kind").select_option("ban")
    owner.get_by_test_id("sanction-reason").fill("Récidive")
    owner.get_by_test_id("sanction-submit").click()
    expect(owner.get_by_test_id("sanction")).to_have_attribute("data-kind", "ban")
    actions = owner.get_by_test_id("audit-entry")
    expect(actions).to_have_count(3)
    expect(actions.nth(0)).to_have_attribute("data-action", "banned")
    expect(actions.nth(1)).to_have_attribute("data-action", "removed")
    expect(actions.nth(2)).to_have_attribute("data-action", "hidden")
    # The vote's facts are phrased in the page's language (French here), not the server's English.
    expect(actions.nth(2).get_by_test_id("audit-text")).to_contain_text("3 signalements")
    expect(actions.nth(1).get_by_test_id("audit-text")).to_contain_text("retiré par le vote du salon")
    expect(actions.nth(1).get_by_test_id("audit-text")).not_to_contain_text("reported as")
    # A reporter who is neither moderator nor trusted does not see the queue.
    reporter.goto(f"/#/moderation/{room['id']}")
    expect(reporter.get_by_test_id("moderation-forbidden")).to_be_visible()
    expect(reporter.get_by_test_id("moderation-link")).to_have_count(0)
    assert not screens.console_errors, screens.console_errors


def test_a_reported_debate_question_leaves_everyones_list_live(screens, daphne_server):
    owner_token = daphne_server.register(unique("marie"))
    with daphne_server.api(owner_token) as client:
        room = client.post("/rooms", json={"name": unique("Débat "), "visibility": "public"}).json()
        response = client.patch(f"/moderation/rooms/{room['id']}/settings", json={"report_threshold": 1})
        assert response.status_code == 200 and response.json()["report_threshold"] == 1
    with daphne_server.api(daphne_server.register(unique("auteur"))) as client:
        asked = client.post(f"/debates/{room['id']}/questions", json={"body": "Une question hors sujet et blessante"})
        assert asked.status_code == 201, asked.text
    reporter = screens.signed_up("question-reporter-phone", unique("lucie"), phone=True)
    watcher = screens.new_page("question-watcher-en")
    watcher.add_init_script("localStorage.setItem('cl.lang', 'en')")
    for page in (reporter, watcher):
        open_room(page, room["id"])  # on the phone, behind the room's "Débat" tab
        expect(page.get_by_test_id("question-body")).to_have_text("Une question hors sujet et blessante")
    expect(watcher.get_by_test_id("report-question")).to_have_count(0)  # signed out: nothing to report with
    reporter.get_by_test_id("report-question").click()
    panel = reporter.locator('[data-testid="report-panel"]:visible')
    expect(panel).to_contain_text("Signaler une question")
    panel.get_by_test_id("report-reason").fill("Blessant")
    panel.get_by_test_id("report-submit").click()
    expect(panel.get_by_test_id("report-status")).to_contain_text("masqué jusqu'au vote de modération")
    for page in (reporter, watcher):
        expect(page.get_by_test_id("question-body")).to_have_count(0)
    assert not screens.console_errors, screens.console_errors
