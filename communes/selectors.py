from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from communes.models import Commune, Referent, ResidentVerification, fold
from realtime.errors import AppError


def commune_search(*, q: str = "", limit: int = 20) -> QuerySet[Commune]:
    """By postal code or INSEE prefix when `q` is digits, else by name (accent- and hyphen-insensitive)."""
    q = q.strip()
    communes = Commune.objects.all()
    if not q:
        return communes[:limit]
    if q.isdigit():
        return _by_code(communes, q)[:limit]
    return communes.filter(name_folded__contains=fold(q))[:limit]


def _by_code(communes: QuerySet[Commune], q: str) -> QuerySet[Commune]:
    """Communes that HAVE the postal code come first, then postal codes starting with `q`, and
    only then INSEE codes: `97410` is Saint-Pierre's postal code and Saint-Benoît's INSEE code,
    and a resident typing it means Saint-Pierre."""
    # postal_codes_text is space-separated, so padding with spaces makes `contains` a whole-token test.
    padded = Q(postal_codes_text__startswith=f"{q} ") | Q(postal_codes_text__endswith=f" {q}")
    has_code = Q(postal_codes_text=q) | padded | Q(postal_codes_text__contains=f" {q} ")
    code_prefix = Q(postal_codes_text__startswith=q) | Q(postal_codes_text__contains=f" {q}")
    rank = Case(
        When(has_code, then=Value(0)),
        When(code_prefix, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    matches = communes.filter(Q(postal_codes_text__contains=q) | Q(insee__startswith=q))
    return matches.annotate(code_rank=rank).order_by("code_rank", "name", "insee")


def commune_get(*, insee: str) -> Commune:
    """The commune with this INSEE code, or `not_found`."""
    commune = Commune.objects.filter(insee=insee).first()
    if commune is None:
        raise AppError("not_found", f"no commune with INSEE code {insee!r}")
    return commune


def referent_communes(*, user) -> list[str]:
    """INSEE codes of the communes `user` is a referent of."""
    return list(Referent.objects.filter(user=user).order_by("commune_id").values_list("commune_id", flat=True))


def resident_is_verified(*, user, insee: str | None) -> bool:
    return insee is not None and ResidentVerification.objects.filter(user=user, commune_id=insee).exists()
