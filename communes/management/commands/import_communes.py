"""Load the national list of communes from `communes.json` of the npm package @etalab/decoupage-administratif.

npm pack @etalab/decoupage-administratif && tar xzf etalab-decoupage-administratif-*.tgz
python manage.py import_communes package/data/communes.json

About 35,000 communes: the existing rows are read once, then new ones are inserted and changed
ones updated in batches (a few dozen queries in all, not two per commune), in one transaction.
`scripts/measure_import_communes.py` times it on a generated national-size file.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from communes.models import Commune, fold

BATCH = 2000
FIELDS = [
    "name",
    "name_folded",
    "postal_codes",
    "postal_codes_text",
    "department",
    "population",
    "latitude",
    "longitude",
]


def _fields(row: dict) -> dict:
    postal_codes = [str(code) for code in row.get("codesPostaux") or []]
    fields = {
        "name": row["nom"],
        "name_folded": fold(row["nom"]),
        "postal_codes": postal_codes,
        # As Commune.save() keeps it (bulk writes do not call save()).
        "postal_codes_text": " ".join(postal_codes),
        "department": row.get("departement") or "",
        "population": row.get("population"),
        "latitude": None,
        "longitude": None,
    }
    centre = row.get("centre") or {}
    if centre.get("coordinates"):
        fields["longitude"], fields["latitude"] = centre["coordinates"][:2]
    return fields


class Command(BaseCommand):
    help = "Import communes (INSEE code, name, postal codes) from decoupage-administratif's communes.json."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--department", help="only this department code, e.g. 974")

    def handle(self, *args, file: str, department: str | None, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                rows = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        if not isinstance(rows, list):
            raise CommandError("expected a JSON list of communes")
        wanted: dict[str, dict] = {}
        for row in rows:
            if not isinstance(row, dict) or row.get("type", "commune-actuelle") != "commune-actuelle":
                continue
            if not row.get("code") or not row.get("nom"):
                continue
            if department and row.get("departement") != department:
                continue
            wanted[str(row["code"])] = _fields(row)
        with transaction.atomic():
            existing = {c.insee: c for c in Commune.objects.all()}
            new, changed = [], []
            for insee, fields in wanted.items():
                commune = existing.get(insee)
                if commune is None:
                    new.append(Commune(insee=insee, **fields))
                elif any(getattr(commune, name) != value for name, value in fields.items()):
                    for name, value in fields.items():
                        setattr(commune, name, value)
                    changed.append(commune)
            Commune.objects.bulk_create(new, batch_size=BATCH)
            Commune.objects.bulk_update(changed, FIELDS, batch_size=BATCH)
        unchanged = len(wanted) - len(new) - len(changed)
        self.stdout.write(f"{len(new)} communes created, {len(changed)} updated, {unchanged} unchanged")
