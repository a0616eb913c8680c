"""HTTP side of outcomes and actions: the same services, clear 4xx on bad input."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def call(method, user, path, payload=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {user.token}"} if user else {}
    client = Client()
    if method == "get":
        return client.get(path, **headers)
    return getattr(client, method)(path, payload or {}, "application/json", **headers)


def test_outcome_and_actions_over_http(make_user, decided):
    author, jean = make_user("marie"), make_user("jean")
    proposal = decided(author=author)
    stated = call("put", author, f"/api/outcomes/{proposal.id}", {"statement": "On plante en mars."})
    assert stated.status_code == 200, stated.content
    assert stated.json()["statement"] == "On plante en mars." and stated.json()["author"] == "marie"
    made = call("post", author, "/api/actions", {"proposal": proposal.id, "title": "Semer", "due": "2027-03-15"})
    assert made.status_code == 201, made.content
    action = made.json()
    joined = call("post", jean, f"/api/actions/{action['id']}/volunteer", {"ref": "v1"})
    assert joined.status_code == 200 and joined.json()["assignees"] == [{"user": "jean", "volunteered": True}]
    again = call("post", jean, f"/api/actions/{action['id']}/volunteer", {"ref": "v1"})
    assert again.json() == joined.json()  # the same ref: the first answer, applied once
    patched = call("patch", jean, f"/api/actions/{action['id']}", {"status": "doing"})
    assert patched.status_code == 200 and patched.json()["status"] == "doing"

    detail = call("get", None, f"/api/outcomes/{proposal.id}").json()
    assert detail["outcome"]["statement"] == "On plante en mars." and detail["may_steer"] is False
    assert [a["status"] for a in detail["actions"]] == ["doing"]
    assert call("get", author, f"/api/outcomes/{proposal.id}").json()["may_steer"] is True
    for query in (f"proposal={proposal.id}", f"room={proposal.room_id}", "commune=97411"):
        listed = call("get", None, f"/api/actions?{query}").json()["items"]
        assert [a["id"] for a in listed] == [action["id"]], query


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Semer", "due": "demain"}, "due"),
        ({"title": "Semer", "assignees": ["a", "A"]}, "distinct"),
        ({"title": "Semer", "assignees": [f"u{i}" for i in range(21)]}, "assignees"),
    ],
)
def test_bad_action_input_is_a_clear_400_and_changes_nothing(make_user, decided, payload, needle):
    author = make_user()
    proposal = decided(author=author)
    response = call("post", author, "/api/actions", {"proposal": proposal.id, **payload})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "bad_request" and needle in response.json()["message"]
    assert call("get", author, f"/api/actions?proposal={proposal.id}").json()["items"] == []


def test_bad_patches_and_unreadable_things(make_user, make_room, decided, commune):
    author = make_user()
    proposal = decided(author=author)
    made = call("post", author, "/api/actions", {"proposal": proposal.id, "title": "Semer"}).json()
    for payload in ({}, {"status": "finished"}, {"due": "2027-01-01", "clear_due": True}):
        response = call("patch", author, f"/api/actions/{made['id']}", payload)
        assert response.status_code == 400 and response.json()["code"] == "bad_request", payload
    assert call("put", author, f"/api/outcomes/{proposal.id}", {"statement": ""}).status_code == 400
    assert call("get", None, "/api/actions").status_code == 400
    assert call("post", None, "/api/actions", {"proposal": proposal.id, "title": "x"}).status_code == 401

    private = decided(author=author, room=make_room(author, visibility="private", commune=commune))
    hidden = call("post", author, "/api/actions", {"proposal": private.id, "title": "Secret"}).json()
    outsider = make_user()
    for method, path in (
        ("get", f"/api/outcomes/{private.id}"),
        ("post", f"/api/actions/{hidden['id']}/volunteer"),
        ("patch", f"/api/actions/{hidden['id']}"),
    ):
        response = call(method, outsider, path, {"status": "done"})
        assert response.status_code == 404, (path, response.content)
        assert "Secret" not in response.content.decode()
    assert call("get", outsider, f"/api/actions?room={private.room_id}").status_code == 404
