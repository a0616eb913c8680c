"""Interests: tags on people, organisations, events, rooms and proposals; suggestions of existing
tags; a tag's page showing only what the reader may read; "near you and sharing your interests"
ranked by shared tags, only people who allow it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.profiles import profile_update
from organisations.inputs import OrganisationPatch
from organisations.services import organisation_update
from tests.proposals.conftest import proposal_make

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}


def person(make_user, commune: str | None, interests: list[str], **settings):
    user = make_user()
    if commune:
        user.home_commune_id = commune
        user.save(update_fields=["home_commune"])
    profile_update(user=user, changes={"interests": interests, **settings})
    return user


def test_tags_everywhere_and_suggestions(make_user, make_event, make_organisation, make_room):
    alice = make_user()
    org = make_organisation(alice, tags=["jardin", "compost"])
    make_event(alice, title="Troc de graines", commune="97411", tags=["Jardin", "graines"])
    make_room(alice, name="Jardiniers", commune="97411", tags=["jardin"])
    proposal_make(author=alice, commune="97411", title="Un jardin partagé", body="Derrière l'école", tags=["jardin"])
    person(make_user, "97411", ["jardin", "javascript"])
    assert Client().get("/api/tags", {"q": "ja"}).json()["items"] == [
        {"tag": "jardin", "uses": 5},
        {"tag": "javascript", "uses": 1},
    ]
    organisation_update(by=alice, organisation_id=org.id, changes=OrganisationPatch(tags=["compost"]))
    assert Client().get("/api/tags", {"q": "jardin"}).json()["items"] == [{"tag": "jardin", "uses": 4}]
    assert Client().get("/api/tags/!!!").status_code == 400


def test_a_tag_page_shows_only_what_the_reader_may_read(make_user, make_event, make_room, make_organisation):
    alice, outsider = make_user(), make_user()
    make_room(alice, name="Jardin public", tags=["jardin"])
    secret = make_room(alice, name="Jardin secret", visibility="private", tags=["jardin"])
    make_event(alice, title="Fête au jardin", commune="97411", tags=["jardin"])
    make_event(alice, title="Conseil privé du jardin", commune="97411", invite_only=True, tags=["jardin"])
    proposal_make(author=alice, room=secret.id, title="Budget secret", body="…", tags=["jardin"])
    make_organisation(alice, name="Les Jardins", tags=["jardin"])
    person(make_user, None, ["jardin"], visibility="public", display_name="Paula")
    person(make_user, None, ["jardin"], visibility="private", display_name="Discrète")
    signed_in_only = person(make_user, None, ["jardin"], visibility="signed_in", display_name="Simone")

    seen = Client().get("/api/tags/jardin", **bearer(outsider)).json()
    assert [r["name"] for r in seen["rooms"]] == ["Jardin public"]
    assert [e["title"] for e in seen["events"]] == ["Fête au jardin"]
    assert seen["proposals"] == [] and [o["name"] for o in seen["organisations"]] == ["Les Jardins"]
    assert sorted(p["display_name"] for p in seen["people"]) == ["Paula", "Simone"]
    anonymous = Client().get("/api/tags/jardin").json()
    assert [p["display_name"] for p in anonymous["people"]] == ["Paula"]
    owner = Client().get("/api/tags/jardin", **bearer(alice)).json()
    assert {r["name"] for r in owner["rooms"]} == {"Jardin public", "Jardin secret"}
    assert [p["title"] for p in owner["proposals"]] == ["Budget secret"] and len(owner["events"]) == 2
    assert signed_in_only.username in {p["username"] for p in seen["people"]}


def test_near_you_and_sharing_your_interests(make_user, make_organisation):
    me = person(make_user, "97411", ["jardin", "vélo", "musique"])
    two = person(make_user, "97411", ["jardin", "vélo"], discoverable=True, display_name="Deux")
    one = person(make_user, "97411", ["musique"], discoverable=True, display_name="Un")
    person(make_user, "97411", ["jardin", "vélo", "musique"], discoverable=False)  # did not allow it
    person(make_user, "97411", ["jardin", "vélo", "musique"], discoverable=True, visibility="private")
    person(make_user, "97411", ["surf"], discoverable=True)  # shares nothing
    far = person(make_user, "97416", ["jardin", "vélo", "musique"], discoverable=True, display_name="Loin")
    org = make_organisation(make_user(), name="Vélo Jardin", tags=["vélo", "jardin"])
    make_organisation(make_user(), name="Surf", tags=["surf"])

    here = Client().get("/api/people/nearby", **bearer(me)).json()
    assert [p["username"] for p in here["people"]] == [two.username, one.username]
    assert here["people"][0]["shared"] == ["jardin", "vélo"]
    assert [o["id"] for o in here["organisations"]] == [org.id]
    wider = Client().get("/api/people/nearby", {"radius_km": 80}, **bearer(me)).json()
    # Saint-Pierre is within 80 km and shares three interests: first, then by shared tags.
    assert [p["username"] for p in wider["people"]] == [far.username, two.username, one.username]
    assert wider["people"][0]["distance_km"] > 30
    assert Client().get("/api/people/nearby").status_code == 401
    assert Client().get("/api/people/nearby", {"radius_km": 5000}, **bearer(me)).status_code == 400
    homeless = make_user()
    assert Client().get("/api/people/nearby", **bearer(homeless)).status_code == 409
