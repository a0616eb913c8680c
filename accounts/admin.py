from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Token, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = [*BaseUserAdmin.fieldsets, ("Communecter", {"fields": ["home_commune"]})]
    list_display = ["username", "home_commune", "is_staff", "date_joined"]
    autocomplete_fields = ["home_commune"]


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    readonly_fields = ["key_hash", "user", "created_at"]
