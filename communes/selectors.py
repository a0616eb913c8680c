from __future__ import annotations

from django.db.models import Q, QuerySet

from communes.models import Commune, fold
from realtime.errors import AppError


def commune_search(*, q: str = "", limit: int = 20) -> QuerySet[Commune]:
    """By postal code or INSEE prefix when `q` is digits, else by name (accent- and hyphen-insensitive)."""
    q = q.strip()
    communes = Commune.objects.all()
    if not q:
        return communes[:limit]
    if q.isdigit():
        return communes.filter(Q(postal_codes_text__contains=q) | Q(insee__startswith=q))[:limit]
    return communes.filter(name_folded__contains=fold(q))[:limit]


def commune_get(*, insee: str) -> Commune:
    """The commune with this INSEE code, or `not_found`."""
    commune = Commune.objects.filter(insee=insee).first()
    if commune is None:
        raise AppError("not_found", f"no commune with INSEE code {insee!r}")
    return commune
