"""Votes on the spot of every ballot kind, in a real browser: a moderator opens a consent and a
ranked quick vote from the room page, participants on phones vote (by keyboard for one), the
big screen follows live (blocks, first preferences) and shows the result and the rounds once
the moderator closes now; score with hidden results, dot and approval on the big screen in
English. Then access lost live: a room turned private leaves no debate on a non-member's page
nor on the big screen, and a demoted moderator loses the moderator's tools."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, unique
from tests.browser.test_debate import make_room

pytestmark = pytest.mark.browser

ENGLISH = "localStorage.setItem('cl.lang', 'en');"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"debate-kinds-{name}.png"), full_page=True)


def open_quick_vote(page, *, title: str, kind: str, choices=(), eligibility: str = "members", **settings) -> None:
    """The moderator's one-step form on the room page; `settings`: testid suffix -> value."""
    form = page.get_by_test_id("quick-vote-form")
    if not form.is_visible():
        page.get_by_test_id("quick-vote-toggle").click()
    page.get_by_test_id("quick-title").fill(title)
    page.get_by_test_id("quick-kind").select_option(kind)
    if choices:
        page.get_by_test_id("quick-choices").fill("\n".join(choices))
    page.get_by_test_id("quick-eligibility").select_option(eligibility)
    for suffix, value in settings.items():
        target = page.get_by_test_id(f"quick-{suffix.replace('_', '-')}")
        if isinstance(value, bool):
            if not target.is_visible():
                page.get_by_test_id("quick-more").click()
            target.set_checked(value)
        else:
            target.fill(str(value))
    page.get_by_test_id("quick-open").click()
    expect(page.get_by_test_id("announcer")).to_contain_text("Vote ouvert")


def open_debate_tab(page) -> None:
    """On a phone, the vote opened started the debate: the room's tabs appeared live (waited for
    here); the debate's tab shows the ballot."""
    page.get_by_test_id("tab-debate").click()
    expect(page.get_by_test_id("panel-debate")).to_be_visible()


def api_voter(server, proposal_id: int, **ballot) -> None:
    with server.api(server.register(unique("votant"))) as client:
        voted = client.post(f"/proposals/{proposal_id}/vote", json=ballot)
        assert voted.status_code == 200, voted.text


def current_vote(server, token: str, room_id: int) -> int:
    with server.api(token) as client:
        return client.get(f"/debates/{room_id}").json()["current_vote"]


def ranking_of(page) -> list[str]:
    return page.get_by_test_id("ranking").locator("li").evaluate_all("items => items.map(li => li.dataset.key)")


def test_consent_and_ranked_quick_votes_followed_by_the_big_screen(screens, daphne_server):
    moderator = screens.signed_up("moderator", unique("mod"))
    ana = screens.signed_up("ana", unique("ana"), phone=True)
    bob = screens.signed_up("bob", unique("bob"), phone=True)
    token = screens.token_of(moderator)
    room_id = make_room(daphne_server, token)
    for page in (ana, bob):  # members before the opening: a members vote fixes its electorate then
        with daphne_server.api(screens.token_of(page)) as client:
            assert client.post(f"/rooms/{room_id}/join", json={}).status_code in (200, 201)
    screen = screens.new_page("bigscreen")  # not signed in: a public room's big screen
    for page in (moderator, ana, bob):
        page.goto(f"/#/room/{room_id}")
        expect(page.get_by_test_id("debate")).to_be_visible()
    screen.goto(f"/#/screen/{room_id}")
    expect(screen.get_by_test_id("bigscreen")).to_be_visible()

    # Consent: one agrees, one blocks — a block needs its reason, refused before anything is sent.
    open_quick_vote(moderator, title="Fermer la rue le dimanche ?", kind="consent")
    for page in (moderator, ana, bob, screen):
        expect(page.get_by_test_id("vote-kind")).to_have_attribute("data-kind", "consent")
    for page in (ana, bob):
        open_debate_tab(page)
    ana.get_by_test_id("consent-agree").click()
    ana.get_by_test_id("quick-ballot-submit").click()
    expect(ana.get_by_test_id("quick-ballot-status")).to_have_text("Votre bulletin est enregistré.")
    bob.get_by_test_id("consent-block").click()
    expect(bob.get_by_test_id("consent-reason")).to_be_focused()
    bob.get_by_test_id("quick-ballot-submit").click()
    expect(bob.get_by_test_id("vote-card-error")).to_have_text("Un blocage doit être motivé.")
    expect(screen.get_by_test_id("count-agree")).to_have_attribute("data-count", "1")
    expect(screen.get_by_test_id("count-block")).to_have_attribute("data-count", "0")
    bob.get_by_test_id("consent-reason").fill("Les livraisons du marché passent par là.")
    bob.get_by_test_id("quick-ballot-submit").click()
    expect(bob.get_by_test_id("quick-ballot-status")).to_have_attribute("data-voted", "true")
    expect(screen.get_by_test_id("count-block")).to_have_attribute("data-count", "1")
    expect(screen.get_by_test_id("blocks")).to_have_attribute("data-count", "1")
    expect(screen.get_by_test_id("block-reason")).to_contain_text("Les livraisons du marché")
    expect(screen.get_by_test_id("turnout")).to_have_attribute("data-total", "2")
    expect(screen.get_by_test_id("quick-ballot-submit")).to_have_count(0)  # read-only
    shot(screen, "consent-live")
    shot(bob, "consent-phone")
    moderator.get_by_test_id("vote-close-now").click()
    for page in (moderator, ana, bob, screen):
        expect(page.get_by_test_id("vote-result")).to_have_attribute("data-result", "refused")
    expect(screen.get_by_test_id("vote-result")).to_have_text("Résultat : proposition rejetée — bloquée")
    expect(ana.get_by_test_id("quick-ballot-submit")).to_have_count(0)  # closed: no more ballots

    # Ranked choice, open to anyone signed in: first preferences live, rounds once closed.
    places = ["Jardin partagé", "Terrain de sport", "Marché couvert"]
    open_quick_vote(moderator, title="Que faire de la friche ?", kind="ranked", choices=places, eligibility="signed_in")
    for page in (moderator, ana, bob, screen):
        expect(page.get_by_test_id("vote-kind")).to_have_attribute("data-kind", "ranked")
    expect(screen.get_by_test_id("vote-result")).to_be_hidden()
    # Ana, by keyboard on her phone: Marché couvert first.
    ana.get_by_test_id("rank-c3").focus()
    ana.keyboard.press("Alt+ArrowUp")
    ana.keyboard.press("Alt+ArrowUp")
    assert ranking_of(ana) == ["c3", "c1", "c2"]
    ana.get_by_test_id("quick-ballot-submit").focus()
    ana.keyboard.press("Enter")
    expect(ana.get_by_test_id("quick-ballot-status")).to_have_attribute("data-voted", "true")
    # Bob leaves Jardin partagé out and puts Terrain de sport first.
    bob.get_by_test_id("rank-toggle-c1").click()
    assert ranking_of(bob) == ["c2", "c3", "c1"]
    bob.get_by_test_id("quick-ballot-submit").click()
    expect(bob.get_by_test_id("quick-ballot-status")).to_have_attribute("data-voted", "true")
    proposal_id = current_vote(daphne_server, token, room_id)
    for ballot in (["c3"], ["c2", "c1"], ["c1", "c3"]):
        api_voter(daphne_server, proposal_id, ranking=ballot)
    # First preferences: Jardin 1, Terrain 2, Marché 2.
    for key, count in (("c1", "1"), ("c2", "2"), ("c3", "2")):
        expect(screen.get_by_test_id(f"count-{key}")).to_have_attribute("data-count", count)
    expect(screen.get_by_test_id("kind-results")).to_contain_text("premiers choix")
    expect(screen.get_by_test_id("rounds")).to_have_count(0)  # rounds are counted at closing
    shot(screen, "ranked-live")
    moderator.get_by_test_id("vote-close-now").focus()
    moderator.keyboard.press("Enter")
    # Round 1: Jardin partagé goes, its ballot [c1, c3] moves to Marché couvert: 3 of 5.
    for page in (screen, ana):
        expect(page.get_by_test_id("vote-result")).to_have_attribute("data-result", "adopted")
        expect(page.get_by_test_id("winner")).to_have_attribute("data-winner", "c3")
        expect(page.get_by_test_id("round-1").locator("td")).to_have_text(["1", "2", "2", "0"])
        expect(page.get_by_test_id("round-2").locator("td")).to_have_text(["—", "2", "3", "0"])
        expect(page.get_by_test_id("condorcet")).to_have_attribute("data-winner", "c3")
    expect(screen.get_by_test_id("winner")).to_have_text("Retenu : Marché couvert")
    assert ana.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(screen, "ranked-rounds")
    shot(ana, "ranked-phone-closed")
    assert not screens.console_errors, screens.console_errors


def test_score_hidden_dot_and_approval_on_the_big_screen_in_english(screens, daphne_server):
    moderator = screens.signed_up("moderator", unique("mod"))
    ana = screens.signed_up("ana", unique("ana"), phone=True)
    token = screens.token_of(moderator)
    room_id = make_room(daphne_server, token)
    screen = screens.new_page("bigscreen")
    screen.add_init_script(ENGLISH)
    for page in (moderator, ana):
        page.goto(f"/#/room/{room_id}")
        expect(page.get_by_test_id("debate")).to_be_visible()
    screen.goto(f"/#/screen/{room_id}")
    expect(screen.get_by_test_id("screen-vote")).to_contain_text("No vote open.")

    # Score 1-4 with results hidden until the closing: only the number of ballots shows.
    open_quick_vote(
        moderator,
        title="Notez les tracés de bus",
        kind="score",
        choices=["Front de mer", "Centre"],
        eligibility="signed_in",
        scale_min=1,
        scale_max=4,
        hidden=True,
    )
    expect(screen.get_by_test_id("vote-kind")).to_have_text("Score")
    open_debate_tab(ana)
    ana.get_by_test_id("score-c1").focus()
    ana.keyboard.press("End")
    expect(ana.get_by_test_id("score-value-c1")).to_have_text("4")
    ana.get_by_test_id("score-c2").fill("1")
    ana.get_by_test_id("quick-ballot-submit").click()
    expect(ana.get_by_test_id("quick-ballot-status")).to_have_attribute("data-voted", "true")
    proposal_id = current_vote(daphne_server, token, room_id)
    api_voter(daphne_server, proposal_id, scores={"c1": 2, "c2": 3})
    expect(screen.get_by_test_id("turnout")).to_have_attribute("data-total", "2")
    expect(screen.get_by_test_id("results-hidden")).to_be_visible()
    expect(screen.get_by_test_id("bars")).to_be_hidden()
    expect(screen.get_by_test_id("score-results")).to_have_count(0)
    for page in (screen, ana):
        expect(page.get_by_test_id("count-c1")).to_have_attribute("data-count", "0")  # nothing leaks
    shot(screen, "score-hidden")
    moderator.get_by_test_id("vote-close-now").click()
    expect(screen.get_by_test_id("bars")).to_be_visible()
    expect(screen.get_by_test_id("average-c1")).to_have_attribute("data-average", "3")
    expect(screen.get_by_test_id("average-c2")).to_have_attribute("data-average", "2")
    expect(screen.get_by_test_id("winner")).to_have_text("Chosen: Front de mer")

    # Dot vote, 5 points each: the bars are points given.
    open_quick_vote(
        moderator,
        title="Budget : bancs ou fontaines ?",
        kind="dot",
        choices=["Bancs", "Fontaines"],
        eligibility="signed_in",
        points=5,
    )
    expect(ana.get_by_test_id("dots-left")).to_have_attribute("data-left", "5")
    for _ in range(3):
        ana.get_by_test_id("dot-plus-c1").click()
    ana.get_by_test_id("dot-plus-c2").click()
    ana.get_by_test_id("quick-ballot-submit").click()
    expect(ana.get_by_test_id("quick-ballot-status")).to_have_attribute("data-voted", "true")
    expect(screen.get_by_test_id("count-c1")).to_have_attribute("data-count", "3")
    expect(screen.get_by_test_id("points-cast")).to_have_attribute("data-points", "4")
    expect(screen.get_by_test_id("winner")).to_have_text("Leading: Bancs")
    shot(screen, "dot-live")
    moderator.get_by_test_id("vote-close-now").click()
    expect(screen.get_by_test_id("vote-result")).to_have_attribute("data-result", "adopted")

    # Approval, at most 2 of 3.
    open_quick_vote(
        moderator,
        title="Fête du quartier",
        kind="approval",
        choices=["Musique", "Repas", "Jeux"],
        eligibility="signed_in",
        min=1,
        max=2,
    )
    ana.get_by_role("checkbox", name="Musique").check()
    ana.get_by_role("checkbox", name="Repas").check()
    ana.get_by_role("checkbox", name="Jeux").check()
    ana.get_by_test_id("quick-ballot-submit").click()
    expect(ana.get_by_test_id("vote-card-error")).to_have_text("Choisissez entre 1 et 2 options.")
    ana.get_by_role("checkbox", name="Jeux").uncheck()
    ana.get_by_test_id("quick-ballot-submit").click()
    expect(ana.get_by_test_id("quick-ballot-status")).to_have_attribute("data-voted", "true")
    api_voter(daphne_server, current_vote(daphne_server, token, room_id), choices=["c2"])
    expect(screen.get_by_test_id("count-c2")).to_have_attribute("data-count", "2")
    expect(screen.get_by_test_id("count-c3")).to_have_attribute("data-count", "0")
    expect(screen.get_by_test_id("turnout")).to_have_attribute("data-total", "2")
    shot(screen, "approval-live")
    shot(ana, "approval-phone")
    assert ana.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert not screens.console_errors, screens.console_errors


def test_access_lost_live_hides_the_debate_and_the_big_screen(screens, daphne_server):
    owner = screens.signed_up("owner", unique("proprio"))
    member_name = unique("membre")
    member = screens.signed_up("member", member_name, phone=True)
    reader = screens.signed_up("reader", unique("lectrice"), phone=True)
    reader_en = screens.signed_up("reader-en", unique("reader"), phone=True)
    token = screens.token_of(owner)
    room_id = make_room(daphne_server, token)
    with daphne_server.api(screens.token_of(member)) as client:
        assert client.post(f"/rooms/{room_id}/join", json={}).status_code in (200, 201)
    with daphne_server.api(token) as client:
        made = client.put(f"/rooms/{room_id}/members/{member_name}", json={"role": "moderator"})
        assert made.status_code == 200, made.text
        asked = client.post(f"/debates/{room_id}/questions", json={"body": "Qui entretient le jardin ?"})
        assert asked.status_code == 201, asked.text
        opened = client.post(
            f"/debates/{room_id}/votes",
            json={"title": "On continue ?", "body": ".", "kind": "consent", "eligibility": "signed_in"},
        )
        assert opened.status_code == 201, opened.text
    screen = screens.new_page("bigscreen")
    reader_en.get_by_test_id("lang-select").select_option("en")
    for page in (owner, member, reader, reader_en):
        page.goto(f"/#/room/{room_id}")
        expect(page.get_by_test_id("question")).to_have_count(1)
        expect(page.get_by_test_id("vote-kind")).to_have_attribute("data-kind", "consent")
    screen.goto(f"/#/screen/{room_id}")
    expect(screen.get_by_test_id("screen-question")).to_have_count(1)
    member.get_by_test_id("tab-debate").click()  # a phone: the debate is behind its tab
    expect(member.get_by_test_id("floor-moderation")).to_be_visible()  # a moderator's tools

    # The member is made a plain member again: the moderator's tools go, the debate stays.
    with daphne_server.api(token) as client:
        assert client.put(f"/rooms/{room_id}/members/{member_name}", json={"role": "member"}).status_code == 200
    expect(member.get_by_test_id("announcer")).to_contain_text("Vous ne modérez plus ce débat.")
    expect(member.get_by_test_id("floor-moderation")).to_be_hidden()
    expect(member.get_by_test_id("quick-vote-toggle")).to_have_count(0)
    expect(member.get_by_test_id("vote-close-now")).to_have_count(0)
    expect(member.get_by_test_id("question")).to_have_count(1)

    # The owner turns the room private: non-members lose the debate live, members keep it.
    with daphne_server.api(token) as client:
        turned = client.patch(f"/rooms/{room_id}", json={"visibility": "private"})
        assert turned.status_code == 200, turned.text
    # The room itself is lost live, so its page keeps nothing of it: no debate panel at all, only
    # the room's name and why (room.js `lose`); the big screen says the debate is no longer public.
    expect(reader.get_by_test_id("room-revoked")).to_have_text(
        "Vous n’avez plus accès à ce salon (il est devenu privé, ou vous n’en êtes plus membre)."
    )
    expect(reader_en.get_by_test_id("room-revoked")).to_contain_text("You no longer have access to this room")
    expect(screen.get_by_test_id("screen-revoked")).to_contain_text("Ce débat n'est plus public")
    for page in (reader, reader_en):
        expect(page.get_by_test_id("room-revoked")).to_have_attribute("role", "alert")
        for testid in ("debate", "question", "vote-card", "hand-toggle", "ask-form", "queue", "composer"):
            expect(page.get_by_test_id(testid)).to_have_count(0)
    for testid in ("screen-question", "vote-card", "screen-qr"):
        expect(screen.get_by_test_id(testid)).to_have_count(0)
    for page in (owner, member):
        expect(page.get_by_test_id("question")).to_have_count(1)
        expect(page.get_by_test_id("room-revoked")).to_have_count(0)
    # What the reader's page still shows carries nothing of the debate.
    assert "Qui entretient le jardin" not in reader.locator("main").inner_text()
    shot(reader, "revoked-phone")
    shot(reader_en, "revoked-phone-en")
    shot(screen, "revoked-screen")
    assert not screens.console_errors, screens.console_errors


def test_meeting_time_quick_vote_fixes_the_next_date_on_the_spot(screens, daphne_server):
    """The hall picks its next meeting among slots the moderator types in the one-step form; a
    phone votes by keyboard; the big screen shows the slots, live counts and the chosen slot."""
    moderator = screens.signed_up("moderator", unique("mod"))
    ana = screens.signed_up("ana", unique("ana"), phone=True)
    token = screens.token_of(moderator)
    room_id = make_room(daphne_server, token)
    screen = screens.new_page("bigscreen")
    for page in (moderator, ana):
        page.goto(f"/#/room/{room_id}")
        expect(page.get_by_test_id("debate")).to_be_visible()
    screen.goto(f"/#/screen/{room_id}")
    expect(screen.get_by_test_id("bigscreen")).to_be_visible()

    form = moderator.get_by_test_id("quick-vote-form")
    moderator.get_by_test_id("quick-vote-toggle").click()
    moderator.get_by_test_id("quick-title").fill("Prochaine réunion du conseil ?")
    moderator.get_by_test_id("quick-kind").select_option("meeting")
    expect(moderator.get_by_test_id("quick-kind-hint")).not_to_be_empty()
    expect(form.get_by_test_id("quick-slots")).to_be_visible()
    expect(form.get_by_test_id("quick-choices")).to_be_hidden()  # the slots are the options
    slots = (("2031-03-04T18:00", "2031-03-04T20:00"), ("2031-03-11T18:00", "2031-03-11T20:00"))
    for n, (start, end) in enumerate(slots, 1):
        form.get_by_test_id(f"slot-start-{n}").fill(start)
        form.get_by_test_id(f"slot-end-{n}").fill(end)
    moderator.get_by_test_id("quick-eligibility").select_option("signed_in")
    moderator.get_by_test_id("quick-open").click()
    expect(moderator.get_by_test_id("announcer")).to_contain_text("Vote ouvert")
    for page in (moderator, ana, screen):
        expect(page.get_by_test_id("vote-kind")).to_have_attribute("data-kind", "meeting")
    # The slots are shown on the island's clock (Indian/Reunion), as typed.
    expect(screen.get_by_test_id("vote-card")).to_contain_text("18:00")
    expect(screen.get_by_test_id("vote-card")).to_contain_text("20:00")

    # Ana, on her phone, by keyboard: the second slot, then Enter on the submit button.
    open_debate_tab(ana)
    ana.get_by_test_id("pick-s2").focus()
    ana.keyboard.press("Space")
    expect(ana.get_by_test_id("pick-s2")).to_be_checked()
    ana.get_by_test_id("quick-ballot-submit").focus()
    ana.keyboard.press("Enter")
    expect(ana.get_by_test_id("quick-ballot-status")).to_have_attribute("data-voted", "true")
    api_voter(daphne_server, current_vote(daphne_server, token, room_id), choices=["s1", "s2"])
    expect(screen.get_by_test_id("count-s2")).to_have_attribute("data-count", "2")
    expect(screen.get_by_test_id("count-s1")).to_have_attribute("data-count", "1")
    expect(screen.get_by_test_id("turnout")).to_have_attribute("data-total", "2")
    shot(screen, "meeting-live")
    shot(ana, "meeting-phone")
    assert ana.evaluate("() => document.documentElement.scrollWidth") <= 390

    moderator.get_by_test_id("vote-close-now").click()
    for page in (screen, ana):
        expect(page.get_by_test_id("winner")).to_have_attribute("data-winner", "s2")
    expect(screen.get_by_test_id("winner")).to_contain_text("11")
    expect(ana.get_by_test_id("quick-ballot-submit")).to_have_count(0)  # closed: no more ballots
    shot(screen, "meeting-closed")
    assert not screens.console_errors, screens.console_errors
