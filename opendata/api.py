"""Open data of a commune (PROTOCOL.md B.14): GeoJSON, a bulk JSON export and CSV files, each
with its licence; anyone may download them (only what anyone may read is in them)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from communes.selectors import commune_get
from opendata import datasets

router = Router(tags=["open data"])

EVENT_COLUMNS = [
    "id",
    "title",
    "type",
    "starts_at",
    "ends_at",
    "timezone",
    "status",
    "address",
    "latitude",
    "longitude",
    "capacity",
    "going",
    "url",
]
ORGANISATION_COLUMNS = [
    "id",
    "name",
    "kind",
    "address",
    "latitude",
    "longitude",
    "tags",
    "links",
    "members",
    "followers",
    "url",
]
DECISION_COLUMNS = ["id", "title", "kind", "result", "total", "counts", "opened_at", "closed_at", "url"]


def _urls(request: HttpRequest):
    root = request.build_absolute_uri("/")
    return {
        "event": lambda i: f"{root}#/event/{i}",
        "organisation": lambda i: f"{root}#/organisation/{i}",
        "decision": lambda i: f"{root}#/proposal/{i}",
    }


def _licensed(response: HttpResponse, filename: str | None = None) -> HttpResponse:
    response["Link"] = f'<{datasets.licence()["url"]}>; rel="license"'
    response["Access-Control-Allow-Origin"] = "*"  # public data, readable from any site
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _json(data: dict, content_type: str, filename: str | None = None) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _licensed(HttpResponse(body, content_type=f"{content_type}; charset=utf-8"), filename)


@router.get("/communes/{insee}", summary="What open data a commune offers: datasets, formats, licence")
def catalogue(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    base = request.build_absolute_uri(f"/api/opendata/communes/{commune.insee}")
    return {
        "commune": {"insee": commune.insee, "name": commune.name},
        "licence": datasets.licence(),
        "datasets": {
            "events": {"geojson": f"{base}/events.geojson", "csv": f"{base}/events.csv"},
            "organisations": {"geojson": f"{base}/organisations.geojson", "csv": f"{base}/organisations.csv"},
            "decisions": {"csv": f"{base}/decisions.csv"},
            "all": {"json": f"{base}/export.json"},
        },
    }


@router.get(
    "/communes/{insee}/events.geojson",
    summary="The commune's public events as a GeoJSON FeatureCollection (RFC 7946: [longitude, latitude])",
)
def events_geojson(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    rows = [datasets.event_row(e) for e in datasets.public_events(commune)]
    collection = datasets.feature_collection(rows, kind="event", url_for=_urls(request)["event"], commune=commune)
    return _json(collection, "application/geo+json", f"events-{commune.insee}.geojson")


@router.get(
    "/communes/{insee}/organisations.geojson",
    summary="The commune's organisations as a GeoJSON FeatureCollection (RFC 7946: [longitude, latitude])",
)
def organisations_geojson(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    rows = [datasets.organisation_row(o) for o in datasets.organisations(commune)]
    url_for = _urls(request)["organisation"]
    collection = datasets.feature_collection(rows, kind="organisation", url_for=url_for, commune=commune)
    return _json(collection, "application/geo+json", f"organisations-{commune.insee}.geojson")


@router.get(
    "/communes/{insee}/export.json", summary="Everything public about the commune in one JSON file, with its licence"
)
def export_json(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    urls = _urls(request)
    data = {
        "commune": {
            "insee": commune.insee,
            "name": commune.name,
            "postal_codes": commune.postal_codes,
            "latitude": commune.latitude,
            "longitude": commune.longitude,
        },
        "licence": datasets.licence(),
        "generated_at": timezone.now().isoformat(),
        "events": [{**datasets.event_row(e), "url": urls["event"](e.id)} for e in datasets.public_events(commune)],
        "organisations": [
            {**datasets.organisation_row(o), "url": urls["organisation"](o.id)} for o in datasets.organisations(commune)
        ],
        "decisions": [{**datasets.decision_row(p), "url": urls["decision"](p.id)} for p in datasets.decisions(commune)],
    }
    return _json(data, "application/json", f"communecter-{commune.insee}.json")


def _csv(commune, name: str, rows: list[dict], columns: list[str]) -> HttpResponse:
    text = datasets.csv_text(rows, columns, statement=datasets.licence_statement(commune))
    return _licensed(HttpResponse(text, content_type="text/csv; charset=utf-8"), f"{name}-{commune.insee}.csv")


@router.get("/communes/{insee}/events.csv", summary="The commune's public events as CSV (a licence column on each row)")
def events_csv(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    url = _urls(request)["event"]
    rows = [{**datasets.event_row(e), "url": url(e.id)} for e in datasets.public_events(commune)]
    return _csv(commune, "events", rows, EVENT_COLUMNS)


@router.get(
    "/communes/{insee}/organisations.csv", summary="The commune's organisations as CSV (a licence column on each row)"
)
def organisations_csv(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    url = _urls(request)["organisation"]
    rows = [{**datasets.organisation_row(o), "url": url(o.id)} for o in datasets.organisations(commune)]
    return _csv(commune, "organisations", rows, ORGANISATION_COLUMNS)


@router.get("/communes/{insee}/decisions.csv", summary="The commune's decisions (closed public votes) as CSV")
def decisions_csv(request: HttpRequest, insee: str):
    commune = commune_get(insee=insee)
    url = _urls(request)["decision"]
    rows = [{**datasets.decision_row(p), "url": url(p.id)} for p in datasets.decisions(commune)]
    return _csv(commune, "decisions", rows, DECISION_COLUMNS)
