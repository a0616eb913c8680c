import unicodedata

from django.db import models


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

    class Meta:
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.postal_codes_text = " ".join(self.postal_codes)
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.name} ({self.insee})"
