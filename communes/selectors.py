from __future__ import annotations

from django.contrib.auth import get_user_model
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


def referent_is(*, user, insee: str | None) -> bool:
    """Whether `user` is one of the commune's referents."""
    return insee is not None and Referent.objects.filter(commune_id=insee, user_id=user.id).exists()


def resident_is_verified(*, user, insee: str | None) -> bool:
    return insee is not None and ResidentVerification.objects.filter(user=user, commune_id=insee).exists()


def referent_required(*, user, insee: str) -> Commune:
    """The commune, if `user` is one of its referents; else `forbidden` (`not_found` if it does not exist)."""
    commune = commune_get(insee=insee)
    if user is None or not user.is_authenticated:
        raise AppError("auth_required", "sign in first")
    if not Referent.objects.filter(commune=commune, user=user).exists():
        raise AppError("forbidden", "only the commune's referents use its desk")
    return commune


def commune_residents_find(*, referent, insee: str, q: str, limit: int = 20) -> list[dict]:
    """Referent desk: people who declared the commune whose name contains `q` (at least 2
    characters: a desk looks someone up, it does not list the commune), with their verification."""
    commune = referent_required(user=referent, insee=insee)
    q = q.strip()
    if len(q) < 2:
        raise AppError("bad_request", "q: type at least 2 characters of the person's username")
    people = (
        get_user_model()
        .objects.filter(home_commune=commune, is_active=True, username__icontains=q)
        .order_by("username")[:limit]
    )
    verified = dict(ResidentVerification.objects.filter(commune=commune, user__in=people).values_list("user_id", "at"))
    return [
        {"username": person.username, "verified": person.id in verified, "verified_at": verified.get(person.id)}
        for person in people
    ]


def referent_verifications(*, referent, insee: str, limit: int = 50) -> list[dict]:
    """The verifications this referent made in the commune that still stand, newest first."""
    commune = referent_required(user=referent, insee=insee)
    rows = (
        ResidentVerification.objects.filter(commune=commune, verified_by=referent)
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )
    return [{"username": row.user.username, "verified_at": row.at, "method": row.method} for row in rows]


def resident_standing(*, referent, insee: str | None, resident) -> str | None:
    """What a referent of the commune may learn of a person at its desks: `verified`, `declared`
    (declared it, not verified) or `elsewhere`; None for anyone who is not its referent."""
    if insee is None or not Referent.objects.filter(commune_id=insee, user=referent).exists():
        return None
    if resident_is_verified(user=resident, insee=insee):
        return "verified"
    return "declared" if resident.home_commune_id == insee else "elsewhere"
