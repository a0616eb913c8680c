from __future__ import annotations

import unicodedata

from django.db.models import Q, QuerySet

from communes.models import Commune


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def commune_search(*, q: str = "", limit: int = 20) -> QuerySet[Commune]:
    """By postal code or INSEE prefix when `q` is digits, else by name (accent-insensitive)."""
    q = q.strip()
    communes = Commune.objects.all()
    if not q:
        return communes[:limit]
    if q.isdigit():
        return communes.filter(Q(postal_codes_text__contains=q) | Q(insee__startswith=q))[:limit]
    folded = _fold(q)
    variants = {q, folded, folded.replace(" ", "-"), q.replace(" ", "-")}
    condition = Q()
    for variant in variants:
        condition |= Q(name__icontains=variant)
    return communes.filter(condition)[:limit]
