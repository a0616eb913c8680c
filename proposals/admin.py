"""Admin pages. Secret ballots stay secret here too: a secret vote's choice is empty and its
seal is never displayed, and no page lists voters next to choices for them."""

from django.contrib import admin

from proposals.models import Amendment, AmendmentVote, Proposal, Vote
from proposals.selectors import results_hidden


def _counts_text(counts: dict) -> str:
    return ", ".join(f"{key}: {count}" for key, count in counts.items())


class AmendmentInline(admin.TabularInline):
    model = Amendment
    extra = 0
    fields = ["author", "body", "status", "total"]
    readonly_fields = ["author", "status", "total"]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["title", "phase", "result", "eligibility", "anonymous", "closes_at", "total"]
    list_filter = ["phase", "result", "eligibility", "anonymous"]
    search_fields = ["title", "body"]
    raw_id_fields = ["author", "room", "event", "commune"]
    # Counts and outcome move only through the services (locked, versioned, published).
    readonly_fields = [
        "shown_counts",
        "total",
        "state_version",
        "outcome",
        "result",
        "opened_at",
        "closed_at",
        "archived_at",
    ]
    exclude = ["counts"]
    inlines = [AmendmentInline]

    @admin.display(description="counts")
    def shown_counts(self, obj) -> str:
        # Hidden results are hidden from staff too until the vote closes.
        if obj.pk is None:
            return "-"
        return "hidden until the vote closes" if results_hidden(obj) else _counts_text(obj.counts)


class BallotAdmin(admin.ModelAdmin):
    """Ballots are evidence of who voted, written only by the services: read-only here."""

    raw_id_fields = ["voter"]
    exclude = ["seal"]

    @admin.display(description="choice")
    def shown_choice(self, obj) -> str:
        return obj.choice or "secret"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "seal"] + ["shown_choice"]

    def get_fields(self, request, obj=None):
        return [f for f in super().get_fields(request, obj) if f != "choice"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Vote)
class VoteAdmin(BallotAdmin):
    list_display = ["proposal", "voter", "shown_choice"]
    list_filter = ["proposal__anonymous"]
    # Searching by choice on a secret ballot finds nothing anyway (it is empty).
    search_fields = ["voter__username"]


@admin.register(Amendment)
class AmendmentAdmin(admin.ModelAdmin):
    list_display = ["id", "proposal", "author", "status", "total", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["proposal", "author"]
    readonly_fields = ["shown_counts", "total", "status"]
    exclude = ["counts"]

    @admin.display(description="counts")
    def shown_counts(self, obj) -> str:
        if obj.pk is None:
            return "-"
        return "hidden until the vote closes" if results_hidden(obj.proposal) else _counts_text(obj.counts)


@admin.register(AmendmentVote)
class AmendmentVoteAdmin(BallotAdmin):
    list_display = ["amendment", "voter", "shown_choice"]
    search_fields = ["voter__username"]
