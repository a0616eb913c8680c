"""Writes on communes: verifying residents (issue #9, finding 3)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from communes.models import Referent, ResidentVerification
from communes.selectors import commune_get, referent_required
from realtime.errors import AppError


def resident_verify(
    *, referent, insee: str, username: str, method: str = ResidentVerification.DESK
) -> ResidentVerification:
    """A referent of the commune (a role staff grant in the admin) verifies, at the town-hall desk
    or at the check-in of an event in the commune, that `username` lives there. The person must
    have declared this commune as their home. Runs in the caller's transaction when there is one."""
    commune = referent_required(user=referent, insee=insee)
    resident = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
    if resident is None:
        raise AppError("not_found", f"user {username!r} does not exist")
    if resident.home_commune_id != commune.insee:
        raise AppError("conflict", f"{resident.username} has not declared {commune.name} as their home: not verified")
    with transaction.atomic():
        verification, _ = ResidentVerification.objects.update_or_create(
            commune=commune, user=resident, defaults={"verified_by": referent, "method": method, "at": timezone.now()}
        )
    return verification


def resident_verifications_drop(*, user) -> None:
    """Called when `user` moves: a verification proves one home only."""
    ResidentVerification.objects.filter(user=user).delete()


def user_communes_erase(*, user) -> None:
    """Account erasure (settings.ACCOUNT_ERASERS): where the person lives and the roles they held
    go; verifications they made as a referent stay valid, made by nobody."""
    ResidentVerification.objects.filter(user=user).delete()
    ResidentVerification.objects.filter(verified_by=user).update(verified_by=None)
    Referent.objects.filter(user=user).delete()


def referent_grant(*, insee: str, user) -> bool:
    """Make `user` a referent of the commune (staff do it in the admin; the demo through here).
    Returns whether the role is new."""
    _, created = Referent.objects.get_or_create(commune=commune_get(insee=insee), user=user)
    return created
