"""Ballot kinds in a real browser, end to end: a ranked-choice vote (created through the form,
ranked by keyboard on a phone and by drag on a desktop, closed early with a reason, rounds shown)
and a consent vote with a block (a block without a reason refused, the reason shown live, the
result refused — blocked), French and English; screenshots in artifacts/browser/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ballot-{name}.png"), full_page=True)


def create_through_the_form(page, *, kind: str, title: str, choices: list[str] | None = None) -> str:
    """The commune page's form; returns the new proposal's id (from the page it lands on)."""
    page.goto("/#/commune/97411")
    form = page.get_by_test_id("new-proposal")
    form.locator("summary").click()
    page.get_by_test_id("new-proposal-title").fill(title)
    page.get_by_test_id("new-proposal-body").fill("Choisissons ensemble.")
    page.get_by_test_id("new-proposal-kind").select_option(kind)
    if choices:
        page.get_by_test_id("new-proposal-choices").fill("\n".join(choices))
    page.get_by_test_id("new-proposal-submit").click()
    expect(page.get_by_test_id("proposal-title")).to_have_text(title)
    return page.url.rsplit("/", 1)[-1]


def api_vote(server, proposal_id: str, **ballot) -> None:
    token = server.register(unique("votant"))
    with server.api(token) as client:
        response = client.post(f"/proposals/{proposal_id}/vote", json=ballot)
        assert response.status_code == 200, response.text


def ranking_of(page) -> list[str]:
    return page.get_by_test_id("ranking").locator("li").evaluate_all("items => items.map(li => li.dataset.key)")


def test_ranked_choice_by_keyboard_and_drag_then_rounds_at_closing(screens, daphne_server):
    author = screens.signed_up("author", unique("maire"))
    proposal_id = create_through_the_form(
        author, kind="ranked", title="Friche du Butor", choices=["Jardin partagé", "Terrain de sport", "Marché couvert"]
    )
    expect(author.get_by_test_id("kind-hint")).to_contain_text("vote alternatif")

    # On a phone, by keyboard only: Marché couvert up twice, then Terrain de sport left out.
    phone = screens.signed_up("phone", unique("aline"), phone=True)
    phone.goto(f"/#/proposal/{proposal_id}")
    expect(phone.get_by_test_id("ranking")).to_be_visible()
    assert ranking_of(phone) == ["c1", "c2", "c3"]
    phone.get_by_test_id("rank-c3").focus()
    phone.keyboard.press("Alt+ArrowUp")
    expect(phone.get_by_test_id("ranking-status")).to_contain_text("Marché couvert est maintenant en position 2")
    phone.keyboard.press("Alt+ArrowUp")
    assert ranking_of(phone) == ["c3", "c1", "c2"]
    expect(phone.get_by_test_id("rank-c3")).to_be_focused()
    phone.get_by_test_id("rank-toggle-c2").focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_test_id("rank-c2")).to_have_class("rank-item unranked")
    shot(phone, "ranked-phone-keyboard")
    phone.get_by_test_id("ballot-submit").focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_test_id("my-vote")).to_contain_text("Votre bulletin est enregistré")

    # On a desktop, by drag: Terrain de sport dropped on Jardin partagé, Marché couvert second.
    desk = screens.signed_up("desk", unique("basile"))
    desk.goto(f"/#/proposal/{proposal_id}")
    desk.get_by_test_id("rank-c2").drag_to(desk.get_by_test_id("rank-c1"))
    assert ranking_of(desk) == ["c2", "c1", "c3"]
    desk.get_by_test_id("rank-c3").drag_to(desk.get_by_test_id("rank-c1"))
    assert ranking_of(desk) == ["c2", "c3", "c1"]
    desk.get_by_test_id("rank-toggle-c1").click()
    desk.get_by_test_id("ballot-submit").click()
    expect(desk.get_by_test_id("my-vote")).to_contain_text("Votre bulletin est enregistré")

    for ballot in ({"ranking": ["c1", "c2"]}, {"ranking": ["c3"]}, {"ranking": ["c2", "c1"]}):
        api_vote(daphne_server, proposal_id, **ballot)
    # Live: first preferences on every page.
    for page in (author, phone, desk):
        expect(page.get_by_test_id("count-c2")).to_have_attribute("data-count", "2")
        expect(page.get_by_test_id("count-c3")).to_have_attribute("data-count", "2")
        expect(page.get_by_test_id("count-c1")).to_have_attribute("data-count", "1")

    # The author closes early, with a reason; every page shows the rounds.
    author.get_by_test_id("close-form").locator("xpath=..").locator("summary").click()
    author.get_by_test_id("close-reason").fill("Tout le monde a voté")
    author.get_by_test_id("close-submit").click()
    for page in (author, phone, desk):
        expect(page.get_by_test_id("result-banner")).to_have_attribute("data-result", "adopted")
        expect(page.get_by_test_id("winner")).to_have_attribute("data-winner", "c2")
        expect(page.get_by_test_id("rounds")).to_be_visible()
        # Round 1: Jardin 1, Terrain 2, Marché 2, none exhausted; round 2: Jardin gone, 3 to 2.
        expect(page.get_by_test_id("round-1").locator("td")).to_have_text(["1", "2", "2", "0"])
        expect(page.get_by_test_id("round-2").locator("td")).to_have_text(["—", "3", "2", "0"])
        expect(page.get_by_test_id("condorcet")).to_have_attribute("data-winner", "")
        expect(page.get_by_test_id("ballot-submit")).to_be_disabled()
    expect(phone.get_by_test_id("winner")).to_have_text("Retenu : Terrain de sport")
    expect(phone.get_by_test_id("rounds")).to_contain_text("Jardin partagé éliminée")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    shot(phone, "ranked-phone-rounds")
    shot(author, "ranked-desktop-rounds")
    assert not screens.console_errors, screens.console_errors


def test_consent_with_a_block_in_french_and_english(screens, daphne_server):
    author = screens.signed_up("author-en", unique("lucie"), phone=True)
    author.get_by_test_id("lang-select").select_option("en")
    proposal_id = create_through_the_form(author, kind="consent", title="Rue de Paris sans voitures le dimanche")
    expect(author.get_by_test_id("consent-block")).to_have_text("Block")

    agree = screens.signed_up("agree", unique("jean"))
    agree.goto(f"/#/proposal/{proposal_id}")
    agree.get_by_test_id("consent-agree").click()
    agree.get_by_test_id("ballot-submit").click()
    expect(agree.get_by_test_id("my-vote")).to_contain_text("Votre bulletin est enregistré")
    expect(author.get_by_test_id("count-agree")).to_have_attribute("data-count", "1")

    blocker = screens.signed_up("blocker", unique("marie"), phone=True)
    blocker.goto(f"/#/proposal/{proposal_id}")
    blocker.get_by_test_id("consent-block").click()
    expect(blocker.get_by_test_id("consent-reason")).to_be_focused()
    blocker.get_by_test_id("ballot-submit").click()  # no reason: refused before anything is sent
    expect(blocker.get_by_test_id("vote-error")).to_have_text("Un blocage doit être motivé.")
    expect(author.get_by_test_id("count-block")).to_have_attribute("data-count", "0")
    blocker.get_by_test_id("consent-reason").fill("Les livraisons du marché passent par là.")
    shot(blocker, "consent-block-reason")
    blocker.get_by_test_id("ballot-submit").click()
    expect(blocker.get_by_test_id("my-vote")).to_contain_text("Votre bulletin est enregistré")

    # Live on the other pages: the block and its reason, before closing.
    for page in (author, agree):
        expect(page.get_by_test_id("count-block")).to_have_attribute("data-count", "1")
        expect(page.get_by_test_id("blocks")).to_have_attribute("data-count", "1")
        expect(page.get_by_test_id("block-reason")).to_contain_text("Les livraisons du marché passent par là.")
    expect(author.get_by_test_id("blocks")).to_contain_text("1 block: the proposal cannot pass while it stands")
    expect(agree.get_by_test_id("blocks")).to_contain_text("1 blocage : la proposition ne peut passer tant qu'il tient")

    # The author revises the text: the block is lifted everywhere, its author votes again.
    author.get_by_test_id("revise-form").locator("xpath=..").locator("summary").click()
    author.get_by_test_id("revise-body").fill("Essai de six mois, livraisons par la rue Juliette-Dodu.")
    author.get_by_test_id("revise-reason").fill("Accès des livraisons")
    author.get_by_test_id("revise-submit").click()
    for page in (author, agree, blocker):
        expect(page.get_by_test_id("count-block")).to_have_attribute("data-count", "0")
        expect(page.get_by_test_id("proposal-body")).to_contain_text("rue Juliette-Dodu")
    expect(agree.get_by_test_id("proposal-news")).to_contain_text("1 blocage levé")
    expect(blocker.get_by_test_id("my-vote")).to_have_text("Vous n'avez pas encore voté.")
    blocker.get_by_test_id("consent-block").click()
    blocker.get_by_test_id("consent-reason").fill("Toujours trop tôt pour les commerçants.")
    blocker.get_by_test_id("ballot-submit").click()
    expect(agree.get_by_test_id("block-reason")).to_contain_text("Toujours trop tôt")

    author.get_by_test_id("close-form").locator("xpath=..").locator("summary").click()
    author.get_by_test_id("close-submit").click()
    expect(author.get_by_test_id("result-banner")).to_have_text("Result: proposal refused — blocked")
    expect(agree.get_by_test_id("result-banner")).to_have_text("Résultat : proposition rejetée — bloquée")
    expect(blocker.get_by_test_id("consent-agree")).to_be_disabled()
    # Reopening is offered to the author once closed (with a reason).
    expect(author.get_by_test_id("reopen-form")).to_be_attached()
    shot(author, "consent-closed-en")
    shot(agree, "consent-closed-fr")
    assert author.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert not screens.console_errors, screens.console_errors


def test_score_dot_approval_and_meeting_ballots_on_a_phone(screens, daphne_server):
    """The other kinds: labelled sliders, steppers within the budget, checkboxes within min/max,
    meeting slots made in the form; live results on the author's page; the winning slot becomes
    an event with its calendar file."""
    author = screens.signed_up("author", unique("maire"))
    voter = screens.signed_up("voter", unique("aline"), phone=True)

    score_id = create_through_the_form(author, kind="score", title="Tracés de bus", choices=["Front de mer", "Centre"])
    voter.goto(f"/#/proposal/{score_id}")
    slider = voter.get_by_test_id("score-c1")
    expect(voter.get_by_role("slider", name="Front de mer")).to_have_attribute("type", "range")  # labelled
    slider.focus()
    for _ in range(2):
        voter.keyboard.press("ArrowRight")  # from the middle (3) to 5
    expect(voter.get_by_test_id("score-value-c1")).to_have_text("5")
    expect(slider).to_have_attribute("aria-valuetext", "5 sur 5")
    voter.get_by_test_id("score-c2").fill("1")
    voter.get_by_test_id("ballot-submit").click()
    expect(author.get_by_test_id("average-c1")).to_have_attribute("data-average", "5")
    expect(author.get_by_test_id("average-c2")).to_have_attribute("data-average", "1")
    shot(voter, "score-phone")

    dot_id = create_through_the_form(author, kind="dot", title="Budget de quartier", choices=["Bancs", "Fontaines"])
    voter.goto(f"/#/proposal/{dot_id}")
    for _ in range(7):
        voter.get_by_test_id("dot-plus-c1").click()
    for _ in range(3):
        voter.get_by_test_id("dot-plus-c2").click()
    expect(voter.get_by_test_id("dots-left")).to_have_attribute("data-left", "0")
    expect(voter.get_by_test_id("dot-plus-c2")).to_be_disabled()  # the budget is spent
    voter.get_by_test_id("dot-minus-c1").click()
    expect(voter.get_by_test_id("dots-c1")).to_have_attribute("data-points", "6")
    voter.get_by_test_id("ballot-submit").click()
    expect(author.get_by_test_id("count-c1")).to_have_attribute("data-count", "6")
    expect(author.get_by_test_id("points-cast")).to_have_attribute("data-points", "9")
    shot(voter, "dot-phone")

    approval_id = create_through_the_form(
        author, kind="approval", title="Fête du quartier", choices=["Musique", "Repas", "Jeux"]
    )
    voter.goto(f"/#/proposal/{approval_id}")
    voter.get_by_role("checkbox", name="Musique").check()
    voter.get_by_role("checkbox", name="Jeux").check()
    voter.get_by_test_id("ballot-submit").click()
    expect(author.get_by_test_id("count-c3")).to_have_attribute("data-count", "1")
    expect(author.get_by_test_id("count-c2")).to_have_attribute("data-count", "0")

    # Meeting time: two slots typed in the form, then voted, closed and scheduled.
    author.goto("/#/commune/97411")
    author.get_by_test_id("new-proposal").locator("summary").click()
    author.get_by_test_id("new-proposal-title").fill("Réunion plan vélo")
    author.get_by_test_id("new-proposal-body").fill("Quand pouvez-vous venir ?")
    author.get_by_test_id("new-proposal-kind").select_option("meeting")
    for n, (start, end) in enumerate(
        (("2031-03-04T18:00", "2031-03-04T20:00"), ("2031-03-05T18:00", "2031-03-05T20:00")), 1
    ):
        author.get_by_test_id(f"slot-start-{n}").fill(start)
        author.get_by_test_id(f"slot-end-{n}").fill(end)
    author.get_by_test_id("new-proposal-submit").click()
    expect(author.get_by_test_id("proposal-title")).to_have_text("Réunion plan vélo")
    voter.goto(author.url.replace(daphne_server.url, ""))
    voter.get_by_test_id("pick-s2").check()
    voter.get_by_test_id("ballot-submit").click()
    expect(author.get_by_test_id("count-s2")).to_have_attribute("data-count", "1")
    author.get_by_test_id("close-form").locator("xpath=..").locator("summary").click()
    author.get_by_test_id("close-submit").click()
    expect(author.get_by_test_id("schedule-slot")).to_have_value("s2")
    author.get_by_test_id("schedule-submit").click()
    for page in (author, voter):
        expect(page.get_by_test_id("spawned-event-ics")).to_have_attribute("href", re.compile(r"/api/events/\d+/ics"))
    expect(author.get_by_test_id("reopen-form")).to_have_count(0)  # an event was made: no reopening
    voter.get_by_test_id("spawned-event-link").click()
    expect(voter.get_by_test_id("event-title")).to_have_text("Réunion plan vélo")
    shot(author, "meeting-scheduled")
    assert not screens.console_errors, screens.console_errors
