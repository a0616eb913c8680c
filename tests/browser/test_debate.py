"""Debate mode in a real browser: two participants and a moderator run a debate end to end,
with the big screen following; countdowns agree on devices whose clocks are off by an hour."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from realtime.frames import dumps, state_frame_apply
from tests.browser.conftest import ARTIFACTS, unique

pytestmark = pytest.mark.browser

# Shifts the page's clock (Date.now, which the client's countdowns read) by `skew` ms.
SKEW_SCRIPT = """
(() => {
  const skew = %d;
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + skew;
})();
"""


def make_room(server, token: str, **debate) -> int:
    with server.api(token) as client:
        room = client.post("/rooms", json={"name": unique("Assemblée ")})
        assert room.status_code == 201, room.text
        room_id = room.json()["id"]
        if debate:
            configured = client.patch(f"/debates/{room_id}", json=debate)
            assert configured.status_code == 200, configured.text
    return room_id


def open_room(page, room_id: int) -> None:
    """The room page with its debate in view: on a phone, behind the room's "Débat" tab."""
    page.goto(f"/#/room/{room_id}")
    if page.viewport_size["width"] < 768:
        page.get_by_test_id("tab-debate").click()
    expect(page.get_by_test_id("debate")).to_be_visible()


def rebuilt(states: list[dict]) -> dict:
    """The snapshot that one socket's `state` frames of one kind rebuild, as the page rebuilds it,
    checking that each delta is shorter than the whole frame it stands for (the server's rule: a
    delta that would not be is sent whole)."""
    held = None
    for frame in states:
        held = state_frame_apply(held, frame)
        assert held is not None, frame  # the delta's base is the snapshot held
        if not frame.get("delta"):
            continue
        whole = {key: value for key, value in frame.items() if key != "delta"} | {"data": held}
        assert len(dumps(frame)) < len(dumps(whole)), frame
    return held


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"debate-{name}.png"), full_page=True)


def test_two_participants_and_a_moderator_run_a_debate_with_the_big_screen(screens, daphne_server):
    moderator = screens.signed_up("moderator", unique("mod"))
    ana_name, bob_name = unique("ana"), unique("bob")
    ana = screens.signed_up("ana", ana_name, phone=True)
    bob = screens.signed_up("bob", bob_name, phone=True)
    room_id = make_room(daphne_server, screens.token_of(moderator), turn_limit=90)
    for page in (ana, bob):  # they join the room on arrival: a members vote counts those of its opening
        with daphne_server.api(screens.token_of(page)) as client:
            joined = client.post(f"/rooms/{room_id}/join", json={})
            assert joined.status_code in (200, 201), joined.text
    screen = screens.new_page("bigscreen")
    for page in (moderator, ana, bob):
        open_room(page, room_id)
    screen.goto(f"/#/screen/{room_id}")
    expect(screen.get_by_test_id("bigscreen")).to_be_visible()
    expect(screen.get_by_test_id("screen-qr")).to_be_visible()
    expect(screen.get_by_test_id("screen-qr")).to_have_js_property(
        "complete", True
    )  # no string eval: the CSP forbids it
    assert screen.get_by_test_id("screen-qr").evaluate("img => img.naturalWidth") > 0

    # A question, upvoted by the other participant: the count moves everywhere.
    ana.get_by_test_id("ask-body").fill("Quand commencent les travaux du Barachois ?")
    ana.get_by_test_id("ask-submit").click()
    expect(ana.get_by_test_id("announcer")).to_contain_text("Question envoyée")
    question = bob.get_by_test_id("question").filter(has_text="travaux du Barachois")
    expect(question).to_have_attribute("data-upvotes", "0")
    question.get_by_test_id("upvote").click()
    expect(question.get_by_test_id("upvote")).to_have_attribute("aria-pressed", "true")
    for page, testid in ((ana, "question"), (moderator, "question"), (screen, "screen-question")):
        expect(page.get_by_test_id(testid).filter(has_text="travaux du Barachois")).to_have_attribute(
            "data-upvotes", "1"
        )

    # Hands raised, by keyboard on one phone; the moderator gives the floor to the next.
    ana.get_by_test_id("hand-toggle").focus()
    ana.keyboard.press("Enter")
    expect(ana.get_by_test_id("hand-toggle")).to_have_attribute("aria-pressed", "true")
    bob.get_by_test_id("hand-toggle").click()
    expect(moderator.get_by_test_id("queue-item")).to_have_count(2)
    expect(moderator.get_by_test_id("queue-item").first).to_have_attribute("data-user", ana_name)
    expect(screen.get_by_test_id("screen-next-item")).to_have_count(2)
    moderator.get_by_test_id("floor-next").click()
    for page, testid in ((ana, "floor-current"), (bob, "floor-current"), (screen, "screen-speaker")):
        expect(page.get_by_test_id(testid)).to_have_attribute("data-user", ana_name)
    expect(ana.get_by_test_id("announcer")).to_contain_text("Vous avez la parole")
    remaining = int(screen.get_by_test_id("screen-countdown").get_attribute("data-remaining"))
    assert 80 <= remaining <= 90, remaining
    expect(screen.get_by_test_id("screen-next-item")).to_have_text([bob_name])
    shot(ana, "participant-floor")

    # A vote on the spot, opened from the room page and closed now.
    moderator.get_by_test_id("quick-vote-toggle").click()
    moderator.get_by_test_id("quick-title").fill("Prolonger la séance de 15 minutes ?")
    moderator.get_by_test_id("quick-open").click()
    for page in (ana, bob, moderator, screen):
        expect(page.get_by_test_id("vote-title")).to_contain_text("Prolonger la séance")
    for page in (ana, bob):  # a members-only vote: the room's members at its opening vote
        page.get_by_test_id("quick-vote-up").click()
        expect(page.get_by_test_id("quick-vote-up")).to_have_attribute("aria-pressed", "true")
    expect(screen.get_by_test_id("turnout")).to_have_attribute("data-total", "2")
    expect(screen.get_by_test_id("count-up")).to_have_attribute("data-count", "2")
    shot(screen, "screen-live")
    # Someone who comes in after the opening is not offered a vote the fixed electorate would refuse.
    late = screens.signed_up("late", unique("carl"))
    late.goto(f"/#/room/{room_id}")
    expect(late.get_by_test_id("vote-not-eligible")).to_contain_text("arrêtée à l'ouverture du vote")
    expect(late.get_by_test_id("quick-vote-up")).to_have_count(0)
    expect(late.get_by_test_id("vote-join")).to_have_count(0)
    moderator.get_by_test_id("vote-close-now").click()
    for page in (ana, bob, moderator, screen):
        expect(page.get_by_test_id("vote-result")).to_have_attribute("data-result", "adopted")

    # The moderator marks the question answered: its author hears it.
    moderator.get_by_test_id("question").filter(has_text="travaux du Barachois").get_by_test_id(
        "moderate-answer"
    ).click()
    expect(ana.get_by_test_id("announcer")).to_contain_text("On a répondu à votre question")
    expect(screen.get_by_test_id("screen-question")).to_have_count(0)
    moderator.get_by_test_id("floor-end").click()
    expect(screen.get_by_test_id("screen-speaker")).to_have_attribute("data-user", "")
    shot(moderator, "moderator")
    shot(screen, "screen-after")
    assert not screens.console_errors, screens.console_errors


def test_countdown_agrees_on_devices_whose_clocks_are_off_by_an_hour(screens, daphne_server):
    moderator = screens.signed_up("moderator", unique("mod"))
    speaker_name = unique("orateur")
    speaker = screens.signed_up("speaker", speaker_name, phone=True)
    room_id = make_room(daphne_server, screens.token_of(moderator), turn_limit=120)
    skewed = []
    for label, skew_ms in (("ahead", 3_600_000), ("behind", -3_600_000)):
        page = screens.new_page(label, phone=True)
        page.add_init_script(SKEW_SCRIPT % skew_ms)
        skewed.append(page)
    for page in (moderator, speaker, *skewed):
        open_room(page, room_id)
    assert abs(skewed[0].evaluate("Date.now()") - skewed[1].evaluate("Date.now()") - 7_200_000) < 60_000
    speaker.get_by_test_id("hand-toggle").click()
    expect(moderator.get_by_test_id("queue-item")).to_have_count(1)
    moderator.get_by_test_id("floor-next").click()
    for page in (moderator, speaker, *skewed):
        expect(page.get_by_test_id("floor-current")).to_have_attribute("data-user", speaker_name)
        expect(page.get_by_test_id("floor-countdown")).to_have_attribute("data-remaining", re.compile(r"^\d+$"))
    readings = [int(p.get_by_test_id("floor-countdown").get_attribute("data-remaining")) for p in (moderator, *skewed)]
    # Read one after the other, a second apart at most; a wrong offset would be 3,600 s off.
    assert max(readings) - min(readings) <= 2, readings
    assert all(100 <= r <= 120 for r in readings), readings
    # The same screen in English, still counting down on the server clock.
    skewed[0].get_by_test_id("lang-select").select_option("en")
    expect(skewed[0].get_by_test_id("debate")).to_contain_text("Live debate")
    expect(skewed[0].get_by_test_id("floor-current")).to_contain_text(f"{speaker_name} has the floor")
    remaining = int(skewed[0].get_by_test_id("floor-countdown").get_attribute("data-remaining"))
    assert 90 <= remaining <= 120, remaining
    assert not screens.console_errors, screens.console_errors


def test_the_ranking_rebuilt_from_state_deltas_is_the_servers(screens, daphne_server):
    """The browser subscribes with `deltas: true`: after the first whole ranking, upvotes arrive
    as deltas (PROTOCOL.md B.1.1) that socket.js rebuilds; what the page shows is the server's
    ranking, in the server's order, and the page never asks for a snapshot again."""
    moderator = screens.signed_up("moderator", unique("mod"))
    room_id = make_room(daphne_server, screens.token_of(moderator))
    with daphne_server.api(screens.token_of(moderator)) as client:
        ids = [
            client.post(f"/debates/{room_id}/questions", json={"body": f"Question {n} sur le budget ?"}).json()["id"]
            for n in range(6)
        ]
    page = screens.new_page("participant", phone=True)
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
    open_room(page, room_id)
    expect(page.get_by_test_id("question")).to_have_count(6)

    voters = [daphne_server.register(unique("voter")) for _ in range(5)]
    for n, token in enumerate(voters):  # question k gets k upvotes: the ranking turns upside down
        with daphne_server.api(token) as client:
            for question in ids[len(ids) - 1 - n :]:
                upvoted = client.post(f"/debates/{room_id}/questions/{question}/upvote", json={})
                assert upvoted.status_code in (200, 201), upvoted.text
    with daphne_server.api() as client:
        final = client.get(f"/debates/{room_id}/questions").json()
    shown = page.get_by_test_id("question")
    expect(shown.first).to_have_attribute("data-upvotes", str(final["items"][0]["upvotes"]))
    expect(shown).to_have_count(6)
    page.wait_for_function(
        "v => [...document.querySelectorAll('[data-testid=question]')].map(e => e.dataset.upvotes).join() === v",
        arg=",".join(str(q["upvotes"]) for q in final["items"]),
    )
    states = [f for f in frames if f.get("type") == "state" and f.get("kind") == "questions"]
    assert not states[0].get("delta") and any(f.get("delta") for f in states[1:]), [f.get("delta") for f in states]
    assert rebuilt(states)["items"] == final["items"]
    order = [int(e.get_attribute("data-id")) for e in shown.all()]
    assert order == [q["id"] for q in final["items"]]
    shot(page, "deltas-phone")
    assert not screens.console_errors, screens.console_errors


def test_the_queue_rebuilt_from_state_deltas_is_the_servers(screens, daphne_server):
    """The floor's queue travels as deltas too (`"list": "hands"`): hands raised and the floor given
    change it a little each time; the phone shows the server's queue, in the server's order."""
    moderator = screens.signed_up("moderator", unique("mod"))
    moderator_token = screens.token_of(moderator)
    room_id = make_room(daphne_server, moderator_token)

    def raise_hand() -> None:
        with daphne_server.api(daphne_server.register(unique("main"))) as client:
            raised = client.post(f"/debates/{room_id}/hand", json={})
            assert raised.status_code == 200, raised.text

    raise_hand()  # the room runs a debate: its page shows it first
    page = screens.new_page("participant", phone=True)
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
    open_room(page, room_id)
    expect(page.get_by_test_id("queue-item")).to_have_count(1)
    for _ in range(4):
        raise_hand()
    with daphne_server.api(moderator_token) as client:
        given = client.post(f"/debates/{room_id}/floor/next", json={})
        assert given.status_code == 200, given.text
        queue = client.get(f"/debates/{room_id}/queue").json()
    assert queue["count"] == 4 and queue["current"] is not None
    expected = [hand["user"] for hand in queue["hands"]]
    page.wait_for_function(
        "v => [...document.querySelectorAll('[data-testid=queue-item]')].map(e => e.dataset.user).join() === v",
        arg=",".join(expected),
    )
    states = [f for f in frames if f.get("type") == "state" and f.get("kind") == "queue"]
    deltas = [f for f in states if f.get("delta")]
    assert deltas and all(f["data"]["list"] == "hands" for f in deltas), [f.get("delta") for f in states]
    assert [hand["user"] for hand in rebuilt(states)["hands"]] == expected
    expect(page.get_by_test_id("floor-current")).to_be_visible()
    shot(page, "queue-deltas-phone")
    assert not screens.console_errors, screens.console_errors
