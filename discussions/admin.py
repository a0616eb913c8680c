from django.contrib import admin

from discussions.models import Membership, Message, Room


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "visibility", "commune", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["room", "user", "role", "joined_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "room"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["room", "seq", "author", "created_at", "deleted_at"]
    raw_id_fields = ["author", "room", "reply_to"]
    search_fields = ["body"]
