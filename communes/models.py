from django.db import models


class Commune(models.Model):
    """A French commune, keyed by its INSEE code (97411 is Saint-Denis, La Réunion)."""

    insee = models.CharField(max_length=5, primary_key=True)
    name = models.CharField(max_length=120, db_index=True)
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
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.name} ({self.insee})"
