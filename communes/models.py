import unicodedata

from django.conf import settings
from django.db import models
from django.utils import timezone


def fold(text: str) -> str:
    """Lowercase, without accents, hyphens and apostrophes as spaces: 'L'Étang-Salé' -> 'l etang sale'."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.lower().replace("-", " ").replace("'", " ").replace("’", " ").split())


class Commune(models.Model):
    """A French commune, keyed by its INSEE code (97411 is Saint-Denis, La Réunion)."""

    insee = models.CharField(max_length=5, primary_key=True)
    name = models.CharField(max_length=120)
    name_folded = models.CharField(max_length=120, db_index=True, editable=False, default="")
    postal_codes = models.JSONField(default=list)
    # Flattened "97400 97417 97490" so a postal-code search is one indexed LIKE on every database.
    postal_codes_text = models.CharField(max_length=400, blank=True, db_index=True)
    department = models.CharField(max_length=3, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    # Residents' votes count only residents verified by a referent of the commune.
    residents_verified_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.postal_codes_text = " ".join(self.postal_codes)
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.name} ({self.insee})"


class Referent(models.Model):
    """A person the commune trusts to verify residents (at the town-hall desk); granted by staff."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="referents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referent_of")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "user"], name="referent_once")]

    def __str__(self) -> str:
        return f"{self.user_id} referent of {self.commune_id}"


class ResidentVerification(models.Model):
    """A referent saw proof that `user` lives in `commune`. Dropped when the user moves."""

    DESK = "desk"
    CHECKIN = "checkin"
    METHODS = [(DESK, "town-hall desk"), (CHECKIN, "check-in of an event in the commune")]

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="verifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifications")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(max_length=8, choices=METHODS, default=DESK)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "user"], name="verification_once")]

    def __str__(self) -> str:
        return f"{self.user_id} verified in {self.commune_id}"
