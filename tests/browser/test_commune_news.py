"""The commune page's live news and past decisions: new public things appear without a reload,
private ones never do, and a closing vote moves into the past decisions with its result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique
from tests.browser.test_event import create_event
from tests.browser.test_proposal import create_proposal

pytestmark = pytest.mark.browser

LE_PORT = "97407"  # no other browser test writes there, so its news is this test's own
CLOSES_IN = timedelta(seconds=10)


def test_news_arrive_live_and_a_closed_vote_becomes_a_past_decision(screens, daphne_server):
    page = screens.signed_up("phone", unique("ines"), phone=True)
    desktop = screens.new_page("desktop-en")
    desktop.goto("/#/")
    desktop.get_by_test_id("lang-select").select_option("en")
    organiser = daphne_server.register(unique("maire"))
    with daphne_server.api(organiser) as client:
        first = client.post("/rooms", json={"name": "Quartier du Port", "visibility": "public", "commune": LE_PORT})
        assert first.status_code == 201, first.text

    for p in (page, desktop):
        p.goto(f"/#/commune/{LE_PORT}")
    news = page.get_by_test_id("news-item")
    expect(news).to_have_count(1)  # replayed from the topic's history
    expect(news.first).to_contain_text("Quartier du Port")

    # Created elsewhere, after the page opened: they appear at the top, live.
    with daphne_server.api(organiser) as client:
        for name, visibility in (("Salon privé du conseil", "private"), ("Marché du port", "public")):
            response = client.post("/rooms", json={"name": name, "visibility": visibility, "commune": LE_PORT})
            assert response.status_code == 201, response.text
    create_event(daphne_server, organiser, title="Fête de la mer", commune=LE_PORT)
    proposal = create_proposal(
        daphne_server,
        organiser,
        commune=LE_PORT,
        title="Ombrières sur le quai",
        closes_at=(datetime.now(UTC) + CLOSES_IN).isoformat(),
    )
    with daphne_server.api(organiser) as client:
        assert client.post(f"/proposals/{proposal['id']}/vote", json={"choice": "up"}).status_code == 200
    expect(news).to_have_count(4)
    expect(news.first).to_contain_text("Ombrières sur le quai")
    expect(page.get_by_test_id("commune-news")).not_to_contain_text("Salon privé du conseil")
    expect(desktop.get_by_test_id("news-item").first).to_contain_text("New proposal")
    expect(page.get_by_test_id("decisions")).to_contain_text("Aucune décision.")

    # The server closes the vote: the news says so and the decision joins the past decisions.
    close_wait_ms = int((CLOSES_IN.total_seconds() + 20) * 1000)
    expect(news.first).to_contain_text("Adoptée", timeout=close_wait_ms)
    decision = page.get_by_test_id("decision")
    expect(decision).to_have_count(1)
    expect(decision).to_have_attribute("data-result", "adopted")
    page.get_by_label("Résultat").select_option("refused")
    expect(page.get_by_test_id("decisions")).to_contain_text("Aucune décision.")
    page.get_by_label("Résultat").select_option("")
    page.get_by_label("Filtrer par titre").fill("ombrieres")  # accents optional here too
    expect(decision).to_have_count(1)
    expect(desktop.get_by_test_id("decision")).to_contain_text("Ombrières sur le quai")
    assert not screens.console_errors, screens.console_errors
