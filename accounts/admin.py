from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import HomeCommuneChange, Token, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = [*BaseUserAdmin.fieldsets, ("Communecter", {"fields": ["home_commune"]})]
    list_display = ["username", "home_commune", "is_staff", "date_joined"]
    autocomplete_fields = ["home_commune"]


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["user", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "user", "label", "created_at", "last_used_at", "revoked_at"]


@admin.register(HomeCommuneChange)
class HomeCommuneChangeAdmin(admin.ModelAdmin):
    """The log of home-commune changes: read-only."""

    list_display = ["user", "old", "new", "at"]
    raw_id_fields = ["user", "old", "new"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
