"""The socket client's own rules, checked in the browser by feeding it frames directly:
an older `state` frame is dropped, an already-seen `seq` is not shown twice."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import unique
from tests.browser.test_room import create_room, post_from_ui

pytestmark = pytest.mark.browser


def test_stale_state_and_duplicate_events_are_dropped(screens, daphne_server):
    page = screens.signed_up("page", unique("denis"))
    room_id = create_room(daphne_server, screens.token_of(page), "Salon règles")
    topic = f"room:{room_id}"
    page.goto(f"/#/room/{room_id}")
    expect(page.get_by_test_id("presence-count")).to_have_attribute("data-count", "1")

    feed = "frame => window.__cl.socket._dispatch(frame)"
    page.evaluate(
        feed,
        {
            "type": "state",
            "topic": topic,
            "kind": "presence",
            "data": {"users": ["x"] * 42, "count": 42, "version": 10**9},
        },
    )
    expect(page.get_by_test_id("presence-count")).to_have_attribute("data-count", "42")
    # Lower version: a late snapshot that must not overwrite the newer one.
    page.evaluate(
        feed,
        {
            "type": "state",
            "topic": topic,
            "kind": "presence",
            "data": {"users": ["y"], "count": 1, "version": 10**9 - 1},
        },
    )
    post_from_ui(page, "repère")  # a real round trip, so the stale frame had every chance to apply
    expect(page.get_by_test_id("message-body")).to_have_text(["repère"])
    expect(page.get_by_test_id("presence-count")).to_have_attribute("data-count", "42")

    # The same sequenced event delivered again (e.g. replay overlap) is shown once.
    seq = int(page.get_by_test_id("message").first.get_attribute("data-seq"))
    duplicate = {
        "type": "event",
        "topic": topic,
        "seq": seq,
        "kind": "message.posted",
        "data": {
            "id": 10**9,
            "author": "intrus",
            "body": "doublon",
            "reply_to": None,
            "at": "2025-01-01T00:00:00Z",
        },
        "at": "2025-01-01T00:00:00Z",
    }
    page.evaluate(feed, duplicate)
    post_from_ui(page, "suite")
    expect(page.get_by_test_id("message-body")).to_have_text(["repère", "suite"])
    assert not screens.console_errors, screens.console_errors


REFUSE_FIRST_SUBSCRIBE = """async ({topic, code}) => {
  const s = window.__cl.socket;
  const raw = s._rawSend.bind(s);
  const sent = [];
  s._rawSend = (frame) => {
    if (frame.type !== "subscribe" || frame.topic !== topic) return raw(frame);
    sent.push(frame);
    if (sent.length > 1) return raw(frame);
    // The server's answer to a burst of joins, without asking the server.
    setTimeout(() => s._dispatch({type: "error", ref: frame.ref, code, message: "busy", retry_after: 0.2}), 0);
    return true;
  };
  try {
    const answer = await new Promise((resolve) =>
      s.subscribe(topic, {subscribed: (f) => resolve(f.type), error: (f) => resolve(f.code)}));
    return {answer, refs: sent.map((f) => f.ref)};
  } finally {
    s._rawSend = raw;
  }
}"""


def test_a_subscribe_refused_rate_limited_is_asked_again(screens, daphne_server):
    page = screens.signed_up("page", unique("sabine"))
    token = screens.token_of(page)
    room_id = create_room(daphne_server, token, "Salon du retour")
    other = create_room(daphne_server, token, "Salon refusé")
    page.goto(f"/#/room/{room_id}")
    expect(page.get_by_test_id("presence-count")).to_have_attribute("data-count", "1")

    got = page.evaluate(REFUSE_FIRST_SUBSCRIBE, {"topic": f"room:{other}", "code": "rate_limited"})
    assert got["answer"] == "subscribed", got
    assert len(got["refs"]) == 2 and got["refs"][0] != got["refs"][1], got

    # Any other refusal reaches the topic's listeners, and is not asked again.
    third = create_room(daphne_server, token, "Salon interdit")
    got = page.evaluate(REFUSE_FIRST_SUBSCRIBE, {"topic": f"room:{third}", "code": "forbidden"})
    assert got == {"answer": "forbidden", "refs": [got["refs"][0]]}, got
    assert not screens.console_errors, screens.console_errors
