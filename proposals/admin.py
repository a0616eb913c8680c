"""Admin pages. Secret ballots stay secret here too: only "who voted" (`SecretVoter`) is listed,
never the ballots, and no page can be filtered on a count or a choice: a URL lookup such as
`?counts__c1=3` or `?choice=up` would reveal hidden results by the number of rows it returns."""

from django.contrib import admin

from proposals.models import Amendment, AmendmentVote, Proposal, SecretVoter, Vote
from proposals.selectors import results_hidden


class ListedFiltersOnly:
    """Accept only the URL lookups of the sidebar filters (Django also accepts any local field)."""

    list_filter: list = []

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup.split("__")[0] in {name for name in self.list_filter if isinstance(name, str)}


def _counts_text(counts: dict) -> str:
    return ", ".join(f"{key}: {count}" for key, count in counts.items())


class AmendmentInline(admin.TabularInline):
    model = Amendment
    extra = 0
    fields = ["author", "body", "status", "total"]
    readonly_fields = ["author", "status", "total"]


@admin.register(Proposal)
class ProposalAdmin(ListedFiltersOnly, admin.ModelAdmin):
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


class ReadOnlyAdmin(ListedFiltersOnly, admin.ModelAdmin):
    """Evidence written only by the services: read-only here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class BallotAdmin(ReadOnlyAdmin):
    """Public ballots: a choice is shown once the results are no longer hidden."""

    raw_id_fields = ["voter"]
    exclude = ["choice"]

    @admin.display(description="choice")
    def shown_choice(self, obj) -> str:
        proposal = obj.proposal if isinstance(obj, Vote) else obj.amendment.proposal
        return "hidden until the vote closes" if results_hidden(proposal) else obj.choice

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "choice"] + ["shown_choice"]


@admin.register(Vote)
class VoteAdmin(BallotAdmin):
    list_display = ["proposal", "voter", "shown_choice"]
    search_fields = ["voter__username"]


@admin.register(SecretVoter)
class SecretVoterAdmin(ReadOnlyAdmin):
    """Who voted on a secret ballot. The ballots themselves have no admin page."""

    list_display = ["proposal", "amendment", "voter"]
    search_fields = ["voter__username"]
    raw_id_fields = ["voter", "proposal", "amendment"]


@admin.register(Amendment)
class AmendmentAdmin(ListedFiltersOnly, admin.ModelAdmin):
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
