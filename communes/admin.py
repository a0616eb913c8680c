from django.contrib import admin

from communes.models import Commune


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["insee", "name", "postal_codes_text", "department", "population"]
    search_fields = ["name", "insee", "postal_codes_text"]
    readonly_fields = ["postal_codes_text"]
