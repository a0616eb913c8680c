from django.contrib import admin

from communes.models import Commune, Referent, ResidentVerification


class ReferentInline(admin.TabularInline):
    """Staff grant the referent role here: referents verify the commune's residents."""

    model = Referent
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["granted_at"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["insee", "name", "postal_codes_text", "department", "population", "residents_verified_only"]
    list_filter = ["residents_verified_only"]
    search_fields = ["name", "insee", "postal_codes_text"]
    readonly_fields = ["postal_codes_text"]
    inlines = [ReferentInline]


@admin.register(ResidentVerification)
class ResidentVerificationAdmin(admin.ModelAdmin):
    list_display = ["user", "commune", "method", "verified_by", "at"]
    raw_id_fields = ["user", "commune", "verified_by"]
    readonly_fields = ["user", "commune", "method", "verified_by", "at"]

    def has_add_permission(self, request) -> bool:
        return False
