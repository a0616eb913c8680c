from django.contrib import admin

from events.models import Event, Rsvp


class RsvpInline(admin.TabularInline):
    model = Rsvp
    extra = 0
    raw_id_fields = ["user", "checked_in_by"]
    readonly_fields = ["arrival", "code", "created_at", "updated_at"]
    show_change_link = True


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Counters are maintained by the services under a row lock: read-only here so they stay true."""

    list_display = [
        "title",
        "type",
        "starts_at",
        "commune",
        "status",
        "capacity",
        "going_count",
        "waitlisted_count",
        "checked_in_count",
    ]
    list_filter = ["status", "type", "invite_only", "commune"]
    search_fields = ["title", "description", "address"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["parent", "room", "created_by"]
    filter_horizontal = ["organisers"]
    readonly_fields = [
        "going_count",
        "waitlisted_count",
        "interested_count",
        "checked_in_count",
        "state_version",
        "arrivals",
        "revision",
        "created_at",
        "updated_at",
    ]
    inlines = [RsvpInline]


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["event", "user", "status", "arrival", "code", "checked_in_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "code", "event__title"]
    raw_id_fields = ["event", "user", "checked_in_by"]
    readonly_fields = ["arrival", "created_at", "updated_at"]
