"""A commune's moderation in a real browser: three people report a commune-wide proposal (the
third through its page, in English); the commune's referent, on a phone and by keyboard, finds it
in the commune's moderation queue (French, and the same queue in English), votes to remove it in
secret; the queue and the audit log follow live. Someone else gets no queue; in a commune
without referents a report is recorded and hides nothing, and the reporter is told so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique
from tests.browser.test_referent_desk import make_referent

pytestmark = pytest.mark.browser

INSEE = "97403"  # Entre-Deux: no other browser test names its referents
TITLE = "Réserver le marché aux gens du centre"
BODY = "Un texte qui exclut les habitants des écarts"


def proposal_in(server, insee: str, title: str) -> dict:
    with server.api(server.register(unique("auteur"))) as client:
        made = client.post("/proposals", json={"title": title, "body": BODY, "commune": insee})
        assert made.status_code == 201, made.text
        return made.json()


def reported_by_two(server, proposal: int) -> None:
    for _ in range(2):
        with server.api(server.register(unique("voisin"))) as client:
            answer = client.post(
                "/moderation/reports", json={"kind": "proposal", "item": proposal, "reason": "excluant"}
            )
            assert answer.status_code == 200 and answer.json()["hidden"] is False, answer.text


def report_on_page(page, proposal: int, reason: str) -> None:
    page.goto(f"/#/proposal/{proposal}")
    expect(page.get_by_test_id("proposal-title")).to_have_text(TITLE)
    page.get_by_test_id("report-proposal").click()
    panel = page.locator('[data-testid="report-panel"]:visible')
    panel.get_by_test_id("report-reason").fill(reason)
    panel.get_by_test_id("report-submit").click()


def test_the_communes_referent_judges_a_reported_commune_wide_proposal(screens, daphne_server):
    referent_name = unique("mairie")
    referent = screens.signed_up("referent-phone", referent_name, phone=True)
    make_referent(daphne_server, referent_name, INSEE)
    proposal = proposal_in(daphne_server, INSEE, TITLE)["id"]
    reported_by_two(daphne_server, proposal)

    # The referent opens the commune's moderation by keyboard, before the third report.
    referent.goto(f"/#/commune/{INSEE}")
    referent.reload()  # their referent role is read at start
    link = referent.get_by_test_id("commune-moderation-link")
    link.focus()
    referent.keyboard.press("Enter")
    expect(referent.get_by_test_id("moderation-title")).to_have_text("Modération — Entre-Deux")
    expect(referent.get_by_test_id("queue-empty")).to_be_visible()
    english = screens.new_page("referent-en")
    english.add_init_script(
        f"localStorage.setItem('cl.token', {screens.token_of(referent)!r}); localStorage.setItem('cl.lang', 'en')"
    )
    english.goto(f"/#/moderation/commune/{INSEE}")
    expect(english.get_by_test_id("moderation-title")).to_have_text("Moderation — Entre-Deux")

    # The third report, in English: hidden at once; the queue shows it live.
    reporter = screens.new_page("reporter-en")
    reporter.add_init_script(
        f"localStorage.setItem('cl.token', {daphne_server.register(unique('lucy'))!r}); "
        "localStorage.setItem('cl.lang', 'en')"
    )
    report_on_page(reporter, proposal, "Excludes people from the outskirts")
    # Hidden for the reporter too, at once (the page says so in its language, for any scope).
    expect(reporter.get_by_test_id("proposal-hidden")).to_have_text(
        "Proposal hidden: it was reported and awaits its moderation vote."
    )
    case = referent.get_by_test_id("case")
    expect(case.get_by_test_id("case-text")).to_contain_text(TITLE)
    expect(case.get_by_test_id("case-reports")).to_have_text("3 signalements")
    expect(case).to_contain_text("Excludes people from the outskirts")
    expect(case.get_by_test_id("case-close")).to_be_visible()  # referents may close it early too
    expect(english.get_by_test_id("case").get_by_test_id("case-reports")).to_have_text("3 reports")
    expect(referent.get_by_test_id("audit-entry")).to_have_count(1)

    # The referent (the only elector) votes to remove, by keyboard: the vote closes, live.
    case.get_by_test_id("case-remove").focus()
    referent.keyboard.press("Enter")
    expect(referent.get_by_test_id("queue-empty")).to_be_visible()
    expect(referent.get_by_test_id("decided-case")).to_have_attribute("data-status", "removed")
    entries = referent.get_by_test_id("audit-entry")
    expect(entries).to_have_count(2)  # refreshed live, no reload
    expect(entries.nth(0)).to_have_attribute("data-action", "removed")
    expect(entries.nth(0).get_by_test_id("audit-text")).to_contain_text("retiré par le vote des référents")
    expect(english.get_by_test_id("audit-entry").nth(0).get_by_test_id("audit-text")).to_contain_text(
        "removed by the referents' vote"
    )
    assert referent.evaluate("() => document.documentElement.scrollWidth") <= 390

    # Someone who is not a referent gets no queue.
    reporter.goto(f"/#/moderation/commune/{INSEE}")
    expect(reporter.get_by_test_id("moderation-forbidden")).to_have_text(
        "Only the commune's referents see its moderation."
    )
    assert not screens.console_errors, screens.console_errors


def test_in_a_commune_without_referents_a_report_hides_nothing_and_says_so(screens, daphne_server):
    proposal = proposal_in(daphne_server, "97405", TITLE)["id"]  # Petite-Île: no referent
    reported_by_two(daphne_server, proposal)
    reporter = screens.signed_up("reporter-no-referent", unique("lucie"), phone=True)
    report_on_page(reporter, proposal, "Excluant")
    expect(reporter.get_by_test_id("report-status")).to_contain_text("aucun référent")
    reporter.reload()
    expect(reporter.get_by_test_id("proposal-title")).to_have_text(TITLE)  # still readable
    assert not screens.console_errors, screens.console_errors


def test_the_referent_sets_the_communes_rule_and_the_next_reports_follow_it(screens, daphne_server):
    insee = "97418"  # Sainte-Marie: no other browser test names its referents
    referent_name = unique("elue")
    referent = screens.signed_up("commune-rule-phone", referent_name, phone=True)
    make_referent(daphne_server, referent_name, insee)
    referent.goto(f"/#/moderation/commune/{insee}")
    settings = referent.get_by_test_id("h-settings")
    expect(settings.get_by_role("heading")).to_have_text("Seuils")
    expect(referent.get_by_test_id("report-threshold")).to_have_value("3")  # the defaults
    expect(referent.get_by_test_id("vote-hours")).to_have_value("48")

    # By keyboard: two reports hide a proposal, the vote lasts a day.
    referent.get_by_test_id("report-threshold").fill("2")
    referent.get_by_test_id("vote-hours").fill("24")
    referent.get_by_test_id("vote-hours").press("Enter")
    expect(referent.get_by_test_id("settings-note")).to_have_text("Enregistré.")
    entry = referent.get_by_test_id("audit-entry").nth(0)
    expect(entry).to_have_attribute("data-action", "configured")  # the log follows live
    assert referent.evaluate("() => document.documentElement.scrollWidth") <= 390

    english = screens.new_page("commune-rule-en")
    english.add_init_script(
        f"localStorage.setItem('cl.token', {screens.token_of(referent)!r}); localStorage.setItem('cl.lang', 'en')"
    )
    english.goto(f"/#/moderation/commune/{insee}")
    expect(english.get_by_test_id("h-settings").get_by_role("heading")).to_have_text("Thresholds")
    expect(english.get_by_test_id("report-threshold")).to_have_value("2")
    expect(english.get_by_label("Length of the vote (hours)")).to_have_value("24")

    # Two reports now hide a commune-wide proposal: it reaches the referent's queue live.
    proposal = proposal_in(daphne_server, insee, TITLE)["id"]
    for number in range(2):
        with daphne_server.api(daphne_server.register(unique("voisin"))) as client:
            answer = client.post(
                "/moderation/reports", json={"kind": "proposal", "item": proposal, "reason": "excluant"}
            )
            assert answer.status_code == 200 and answer.json()["hidden"] is (number == 1), answer.text
    expect(referent.get_by_test_id("case").get_by_test_id("case-reports")).to_have_text("2 signalements")
    expect(english.get_by_test_id("case").get_by_test_id("case-reports")).to_have_text("2 reports")

    # Someone else can neither read nor change the rule.
    with daphne_server.api(daphne_server.register(unique("curieux"))) as client:
        assert client.get(f"/moderation/communes/{insee}/settings").status_code == 403
        assert client.patch(f"/moderation/communes/{insee}/settings", json={"report_threshold": 1}).status_code == 403
    assert not screens.console_errors, screens.console_errors
