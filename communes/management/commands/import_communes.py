"""Load the national list of communes from `communes.json` of the npm package @etalab/decoupage-administratif.

npm pack @etalab/decoupage-administratif && tar xzf etalab-decoupage-administratif-*.tgz
python manage.py import_communes package/data/communes.json
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from communes.models import Commune


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
        created = updated = 0
        with transaction.atomic():
            for row in rows:
                if row.get("type", "commune-actuelle") != "commune-actuelle" or not row.get("code"):
                    continue
                if department and row.get("departement") != department:
                    continue
                defaults = {
                    "name": row["nom"],
                    "postal_codes": row.get("codesPostaux") or [],
                    "department": row.get("departement") or "",
                    "population": row.get("population"),
                }
                centre = row.get("centre") or {}
                if centre.get("coordinates"):
                    defaults["longitude"], defaults["latitude"] = centre["coordinates"][:2]
                commune, was_created = Commune.objects.get_or_create(insee=row["code"], defaults=defaults)
                if not was_created:
                    for name, value in defaults.items():
                        setattr(commune, name, value)
                    commune.save()
                created += was_created
                updated += not was_created
        self.stdout.write(f"{created} communes created, {updated} updated")
