"""A commune's open data: its public events, its organisations and its decisions (closed votes
anyone may read), as rows, as GeoJSON (RFC 7946) and as CSV. Only what anyone may read, signed
in or not, by each owning app's own rule: invite-only events, private rooms and their proposals
never appear."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.conf import settings

from communes.models import Commune
from events.models import Event
from events.selectors import event_visible_filter
from organisations.models import Organisation
from organisations.selectors import organisation_list
from proposals.models import Proposal
from proposals.selectors import proposal_list

ROWS_MAX = 10_000
# RFC 7946 §11.2: six decimals (about 10 cm) are enough and keep files small.
PRECISION = 6


def licence() -> dict:
    return {
        "name": settings.OPEN_DATA_LICENCE_NAME,
        "url": settings.OPEN_DATA_LICENCE_URL,
        "attribution": settings.OPEN_DATA_ATTRIBUTION,
    }


def licence_statement(commune: Commune) -> str:
    info = licence()
    return f"{info['attribution']} — {commune.name} ({commune.insee}) — {info['name']} {info['url']}"


def public_events(commune: Commune) -> list[Event]:
    rows = Event.objects.filter(event_visible_filter(None), commune=commune).order_by("starts_at", "id")
    return list(rows[:ROWS_MAX])


def organisations(commune: Commune) -> list[Organisation]:
    return list(organisation_list(commune=commune.insee)[:ROWS_MAX])


def decisions(commune: Commune) -> list[Proposal]:
    rows = proposal_list(user=None, commune=commune.insee, phase=Proposal.RESOLVED)
    return list(rows.order_by("-closed_at", "-id")[:ROWS_MAX])


def event_row(event: Event) -> dict:
    return {
        "id": event.id,
        "title": event.title,
        "description": event.description,
        "type": event.type,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "timezone": event.timezone,
        "status": event.status,
        "address": event.address,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "capacity": event.capacity,
        "going": event.going_count,
    }


def organisation_row(organisation: Organisation) -> dict:
    return {
        "id": organisation.id,
        "name": organisation.name,
        "kind": organisation.kind,
        "description": organisation.description,
        "address": organisation.address,
        "latitude": organisation.latitude,
        "longitude": organisation.longitude,
        "tags": list(organisation.tags),
        "links": list(organisation.links),
        "members": getattr(organisation, "members_count", None),
        "followers": getattr(organisation, "followers_count", None),
    }


def decision_row(proposal: Proposal) -> dict:
    return {
        "id": proposal.id,
        "title": proposal.title,
        "kind": proposal.kind,
        "result": proposal.result,
        "total": proposal.total,
        "counts": dict(proposal.counts),
        "opened_at": proposal.opened_at.isoformat() if proposal.opened_at else None,
        "closed_at": proposal.closed_at.isoformat() if proposal.closed_at else None,
    }


def _point(latitude: float | None, longitude: float | None) -> dict | None:
    """A GeoJSON Point: [longitude, latitude] (RFC 7946 §3.1.1: easting first); null when unplaced."""
    if latitude is None or longitude is None:
        return None
    return {"type": "Point", "coordinates": [round(longitude, PRECISION), round(latitude, PRECISION)]}


def feature_collection(rows: Iterable[dict], *, kind: str, url_for, commune: Commune) -> dict:
    features = []
    for row in rows:
        properties = {k: v for k, v in row.items() if k not in ("latitude", "longitude")}
        properties.update(kind=kind, url=url_for(row["id"]), commune=commune.insee)
        features.append(
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": _point(row["latitude"], row["longitude"]),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features, "licence": licence()}


def csv_text(rows: list[dict], columns: list[str], *, statement: str) -> str:
    """CSV (RFC 4180) with a `licence` column on every row, so a copy of the file keeps it; cells that
    a spreadsheet would run as a formula are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*columns, "licence"])
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            elif isinstance(value, dict):
                value = " ".join(f"{k}={v}" for k, v in value.items())
            value = "" if value is None else str(value)
            if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(value):
                value = "'" + value
            cells.append(value)
        writer.writerow([*cells, statement])
    return out.getvalue()


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
