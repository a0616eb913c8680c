from django.contrib import admin

from organisations.models import Follower, Item, Member, Organisation


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "join_approval", "created_at"]
    list_filter = ["kind", "commune"]
    search_fields = ["name", "description"]
    raw_id_fields = ["room", "created_by"]
    inlines = [MemberInline]


admin.site.register(Follower)
admin.site.register(Item)
