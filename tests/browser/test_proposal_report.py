"""Reporting a proposal in a real browser: two neighbours report it, a third by keyboard on a
phone; it leaves every reader's page live (French and English); the room's moderator judges it
in the moderation queue, where it opens, and the vote removes it; its author reads why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique

pytestmark = pytest.mark.browser

TITLE = "Interdire les chiens du quartier"
BODY = "Un texte méprisant envers les voisins qui ont des chiens."


def test_a_reported_proposal_is_hidden_live_then_removed_by_the_moderation_vote(screens, daphne_server):
    owner = screens.signed_up("proposal-moderator", unique("marie"))
    author = screens.signed_up("proposal-author", unique("auteur"))
    reporter = screens.signed_up("proposal-reporter-phone", unique("lucie"), phone=True)
    with daphne_server.api(screens.token_of(owner)) as client:
        room = client.post("/rooms", json={"name": unique("Quartier "), "visibility": "public"}).json()
    with daphne_server.api(screens.token_of(author)) as client:
        made = client.post("/proposals", json={"title": TITLE, "body": BODY, "room": room["id"]})
        assert made.status_code == 201, made.text
    proposal = made.json()["id"]
    english = screens.new_page("proposal-watcher-en", phone=True)
    english.add_init_script("localStorage.setItem('cl.lang', 'en')")
    for page in (english, reporter, author):
        page.goto(f"/#/proposal/{proposal}")
        expect(page.get_by_test_id("proposal-title")).to_have_text(TITLE)
    expect(author.get_by_test_id("report-proposal")).to_have_count(0)  # nobody reports their own words
    expect(english.get_by_test_id("report-proposal")).to_have_count(0)  # signed out: nothing to report with

    for _ in range(2):
        with daphne_server.api(daphne_server.register(unique("voisin"))) as client:
            response = client.post(
                "/moderation/reports", json={"kind": "proposal", "item": proposal, "reason": "mépris"}
            )
            assert response.status_code == 200 and response.json()["hidden"] is False

    # The third report, by keyboard on a phone; an empty reason is refused first.
    button = reporter.get_by_test_id("report-proposal")
    expect(button).to_have_text("Signaler cette proposition")
    button.focus()
    reporter.keyboard.press("Enter")
    panel = reporter.get_by_test_id("report-panel")
    expect(panel).to_contain_text("Signaler une proposition")
    expect(panel.get_by_test_id("report-reason")).to_be_focused()
    panel.get_by_test_id("report-submit").click()
    expect(panel.get_by_test_id("report-error")).to_have_text("Donnez une raison à votre signalement.")
    panel.get_by_test_id("report-reason").fill("Mépris envers des voisins")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reporter.screenshot(path=str(ARTIFACTS / "proposal-report-panel-phone.png"), full_page=True)
    reporter.keyboard.press("Tab")
    reporter.keyboard.press("Enter")
    # Hidden: every reader but the room's moderators loses the page, live, in their language.
    # (`proposal.hidden` or the end of the subscription, whichever comes first, says so.)
    expect(reporter.get_by_test_id("proposal-hidden")).to_contain_text("Proposition masquée")
    expect(english.get_by_test_id("proposal-hidden")).to_contain_text("Proposal hidden")
    expect(author.get_by_test_id("proposal-hidden")).to_contain_text("Proposition masquée")
    for page in (reporter, english, author):
        expect(page.get_by_text(TITLE)).to_have_count(0)

    # The moderator's queue: the proposal's text, the reasons, a link to it; their vote decides.
    owner.goto(f"/#/room/{room['id']}")
    owner.get_by_test_id("moderation-link").click()
    case = owner.get_by_test_id("case")
    expect(case).to_have_attribute("data-kind", "proposal")
    expect(case).to_contain_text("Proposition de")
    expect(case.get_by_test_id("case-text")).to_contain_text(TITLE)
    expect(case.get_by_test_id("case-reports")).to_have_text("3 signalements")
    expect(case).to_contain_text("Mépris envers des voisins")
    expect(case.get_by_test_id("case-open")).to_have_attribute("href", f"#/proposal/{proposal}")
    owner.screenshot(path=str(ARTIFACTS / "proposal-report-queue.png"), full_page=True)
    # Its moderators still read it, marked hidden, with nothing to report.
    case.get_by_test_id("case-open").click()
    expect(owner.get_by_test_id("proposal-title")).to_have_text(TITLE)
    expect(owner.get_by_test_id("proposal-hidden")).to_have_text(
        "Masquée pour tous sauf les modérateurs : signalée, elle attend le vote de modération du salon."
    )
    expect(owner.get_by_test_id("report-proposal")).to_have_count(0)
    owner.go_back()
    case = owner.get_by_test_id("case")
    case.get_by_test_id("case-remove").click()  # the only elector: the vote closes
    expect(owner.get_by_test_id("queue-empty")).to_be_visible()
    expect(owner.get_by_test_id("decided-case")).to_have_attribute("data-status", "removed")

    # The author is told, in the room and in the inbox, what was decided and why.
    author.goto(f"/#/room/{room['id']}")
    item = author.get_by_test_id("my-moderation-item")
    expect(item).to_have_attribute("data-status", "removed")
    expect(item).to_contain_text(f"Votre proposition n° {proposal} a été retirée")
    expect(author.get_by_test_id("my-moderation")).to_contain_text("Mépris envers des voisins")
    author.goto("/#/inbox")
    expect(author.get_by_test_id("inbox-list")).to_contain_text("a retiré votre proposition")
    assert not screens.console_errors, screens.console_errors
