"""Open data of a commune: GeoJSON checked against RFC 7946's structure (a FeatureCollection of
Features whose Point is [longitude, latitude]), schema.org JSON-LD expanded by a JSON-LD processor,
CSV and JSON exports with their licence, and nothing private in any of them."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from geojson_pydantic import FeatureCollection
from pyld import jsonld

from proposals.services import proposal_close_due
from proposals.services.votes import vote_cast

pytestmark = pytest.mark.django_db
SAINT_DENIS = "97411"
SCHEMA = "https://schema.org/"


def local_schema_org(url, options=None):
    """schema.org's context, offline: its terms are the vocabulary's IRIs."""
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": {"@vocab": SCHEMA}}}


def expanded(document: dict) -> dict:
    [node] = jsonld.expand(document, {"documentLoader": local_schema_org})
    return node


@pytest.fixture
def commune_data(make_user, make_event, make_organisation, make_proposal, make_room):
    alice, bob = make_user(), make_user()
    public = make_event(alice, title="Marché nocturne", commune=SAINT_DENIS, latitude=-20.8821, longitude=55.4507)
    hidden = make_event(alice, title="Réunion privée", commune=SAINT_DENIS, invite_only=True)
    make_event(alice, title="Ailleurs", commune="97416")
    org = make_organisation(
        alice, name="=Mairie de Saint-Denis", kind="public", latitude=-20.8791, longitude=55.4484, tags=["mairie"]
    )
    open_vote = make_proposal(alice, commune=SAINT_DENIS, title="Vote public")
    vote_cast(user=bob, proposal_id=open_vote.id, choice="up")
    proposal_close_due(proposal_id=open_vote.id, now=timezone.now() + timedelta(days=30))
    secret_room = make_room(alice, name="Bureau", visibility="private", commune=SAINT_DENIS)
    private_vote = make_proposal(alice, room=secret_room, title="Vote du bureau")
    proposal_close_due(proposal_id=private_vote.id, now=timezone.now() + timedelta(days=30))
    return {"public": public, "hidden": hidden, "org": org, "decision": open_vote, "private_decision": private_vote}


def test_events_geojson_follows_rfc_7946_longitude_first(commune_data):
    response = Client().get(f"/api/opendata/communes/{SAINT_DENIS}/events.geojson")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    assert 'rel="license"' in response["Link"]
    data = json.loads(response.content)
    collection = FeatureCollection.model_validate(data)  # RFC 7946's structure, strictly typed
    assert data["type"] == "FeatureCollection"
    titles = {f["properties"]["title"]: f for f in data["features"]}
    assert set(titles) == {"Marché nocturne"}  # not the invite-only one, not another commune's
    feature = titles["Marché nocturne"]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == [55.4507, -20.8821]  # [longitude, latitude]
    for point in collection.features:
        longitude, latitude = point.geometry.coordinates
        assert -180 <= longitude <= 180 and -90 <= latitude <= 90
    assert feature["properties"]["url"].endswith(f"#/event/{commune_data['public'].id}")


def test_organisations_geojson(commune_data):
    data = json.loads(Client().get(f"/api/opendata/communes/{SAINT_DENIS}/organisations.geojson").content)
    FeatureCollection.model_validate(data)
    [feature] = data["features"]
    assert feature["geometry"]["coordinates"] == [55.4484, -20.8791]
    assert feature["properties"]["kind"] == "organisation" and feature["properties"]["tags"] == ["mairie"]


def test_json_ld_expands_to_schema_org_types(commune_data, make_organisation, make_user):
    org = commune_data["org"]
    node = expanded(json.loads(Client().get(f"/api/organisations/{org.id}/jsonld").content))
    assert node["@type"] == [f"{SCHEMA}GovernmentOrganization"]
    assert node[f"{SCHEMA}name"] == [{"@value": "=Mairie de Saint-Denis"}]
    [address] = node[f"{SCHEMA}address"]
    assert address["@type"] == [f"{SCHEMA}PostalAddress"]
    association = make_organisation(make_user(), kind="association", name="Les Jardins")
    assert expanded(json.loads(Client().get(f"/api/organisations/{association.id}/jsonld").content))["@type"] == [
        f"{SCHEMA}NGO"
    ]
    event = expanded(json.loads(Client().get(f"/api/events/{commune_data['public'].id}/jsonld").content))
    assert event["@type"] == [f"{SCHEMA}Event"]
    [place] = event[f"{SCHEMA}location"]
    assert place["@type"] == [f"{SCHEMA}Place"]


def test_csv_exports_state_the_licence_and_neutralise_formulas(commune_data):
    response = Client().get(f"/api/opendata/communes/{SAINT_DENIS}/organisations.csv")
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["name"] for r in rows] == ["'=Mairie de Saint-Denis"]
    assert "Licence Ouverte" in rows[0]["licence"] and "97411" in rows[0]["licence"]
    events = list(
        csv.DictReader(io.StringIO(Client().get(f"/api/opendata/communes/{SAINT_DENIS}/events.csv").content.decode()))
    )
    assert [e["title"] for e in events] == ["Marché nocturne"]
    decisions = list(
        csv.DictReader(
            io.StringIO(Client().get(f"/api/opendata/communes/{SAINT_DENIS}/decisions.csv").content.decode())
        )
    )
    assert [(d["title"], d["result"]) for d in decisions] == [("Vote public", "adopted")]


def test_bulk_json_export_holds_only_public_things(commune_data):
    data = json.loads(Client().get(f"/api/opendata/communes/{SAINT_DENIS}/export.json").content)
    assert data["licence"]["url"].startswith("https://") and data["commune"]["insee"] == SAINT_DENIS
    assert [e["title"] for e in data["events"]] == ["Marché nocturne"]
    assert [d["title"] for d in data["decisions"]] == ["Vote public"]
    assert "Vote du bureau" not in json.dumps(data) and "Réunion privée" not in json.dumps(data, ensure_ascii=False)
    catalogue = Client().get(f"/api/opendata/communes/{SAINT_DENIS}").json()
    assert set(catalogue["datasets"]) == {"events", "organisations", "decisions", "all"}
    assert Client().get("/api/opendata/communes/00000/events.geojson").status_code == 404
