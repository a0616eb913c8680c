"""Proposals, their ballots and amendments.

Counts live denormalised on the proposal (and amendment) row, next to `state_version`, and
are updated under that row's lock in the vote's transaction: one row read gives a tally and
a version that agree, on SQLite and PostgreSQL alike.

Secret ballots (`anonymous`) are not `Vote` rows: "who voted" (`SecretVoter`) and "the
ballots" (`SecretBallot`) are two tables with random ids and no timestamps, linked only by a
keyed hash that dies when the vote closes — see proposals.ballots and docs/SECURITY.md.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Proposal(models.Model):
    AMENDABLE, TOVOTE, RESOLVED, ARCHIVED = "amendable", "tovote", "resolved", "archived"
    PHASES = [(AMENDABLE, "amendable"), (TOVOTE, "to vote"), (RESOLVED, "resolved"), (ARCHIVED, "archived")]
    ADOPTED, REFUSED = "adopted", "refused"
    # Ballot kinds (proposals/README.md "Counting rules"): `vote` is the original ballot (the four
    # Communecter answers, or custom choices counted by plurality).
    VOTE, CONSENT, APPROVAL, RANKED, SCORE, DOT, MEETING = (
        "vote",
        "consent",
        "approval",
        "ranked",
        "score",
        "dot",
        "meeting",
    )
    KINDS = [
        (VOTE, "majority or plurality"),
        (CONSENT, "consent"),
        (APPROVAL, "approval"),
        (RANKED, "ranked choice"),
        (SCORE, "score"),
        (DOT, "dot vote"),
        (MEETING, "meeting time"),
    ]
    SIGNED_IN, MEMBERS, PRESENT, RESIDENTS = "signed_in", "members", "present", "residents"
    # Named electors only (a room's moderation vote): read and voted by them alone, listed nowhere.
    ELECTORS = "electors"
    ELIGIBILITIES = [
        (SIGNED_IN, "signed-in users"),
        (MEMBERS, "room members"),
        (PRESENT, "checked-in attendees"),
        (RESIDENTS, "residents of the commune"),
        (ELECTORS, "named electors"),
    ]

    title = models.CharField(max_length=200)
    tags = models.JSONField(default=list, blank=True)
    body = models.TextField()
    arguments_for = models.TextField(blank=True)
    arguments_against = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    room = models.ForeignKey(
        "discussions.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="proposals")
    commune = models.ForeignKey(
        "communes.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )

    # Ballot: [{key, label}]; the four Communecter answers unless custom choices were given.
    options = models.JSONField()
    multiple_choice = models.BooleanField(default=False)
    kind = models.CharField(max_length=10, choices=KINDS, default=VOTE)
    # Per kind: approval (and meeting) choose min..max options; score is on scale_min..scale_max;
    # a dot vote gives each voter `points_budget` points. Fixed at creation.
    min_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    points_budget = models.PositiveIntegerField(null=True, blank=True)
    majority = models.PositiveSmallIntegerField(default=50)
    quorum_votes = models.PositiveIntegerField(null=True, blank=True)
    quorum_share = models.PositiveSmallIntegerField(null=True, blank=True, help_text="percent of eligible voters")
    eligibility = models.CharField(max_length=10, choices=ELIGIBILITIES, default=SIGNED_IN)
    anonymous = models.BooleanField(default=False)
    can_change = models.BooleanField(default=True)
    hide_results = models.BooleanField(default=False)

    phase = models.CharField(max_length=10, choices=PHASES, default=TOVOTE, db_index=True)
    amendable_until = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    # Who may vote, fixed when the vote opens (see proposals.electorate): the rule that applied
    # and, for a fixed electorate, its size. Blank rule: opened before electorates were fixed.
    electorate_rule = models.CharField(max_length=24, blank=True)
    electorate_size = models.PositiveIntegerField(null=True, blank=True)

    # Live tally, written only under select_for_update together with state_version.
    counts = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    # What a kind counts beside `counts`: score distributions ({key: {score: n}}).
    detail = models.JSONField(default=dict, blank=True)
    # Dot vote: points given by all voters together (never above points_budget × total).
    points_cast = models.PositiveIntegerField(default=0)
    state_version = models.BigIntegerField(default=0)
    # Meeting time: the event the chosen slot became (once only; such a proposal cannot reopen).
    spawned_event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Close early / extend / reopen: how many times each happened (the events carry the reasons).
    reopened_count = models.PositiveSmallIntegerField(default=0)
    # Reported past the room's threshold (moderation): hidden pending the room's moderation vote,
    # and for good once that vote removes it (its text is then erased). While set, the proposal
    # is `not_found` to all but the room's moderators, the event's organisers and staff.
    hidden_at = models.DateTimeField(null=True, blank=True)
    # Filled at closing: {"result", "reason", "counts", "total", "eligible", ...}.
    outcome = models.JSONField(null=True, blank=True)
    result = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["phase", "closes_at"], name="proposal_phase_closes"),
            models.Index(fields=["phase", "amendable_until"], name="proposal_phase_amendable"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(majority__gte=50, majority__lte=100), name="proposal_majority_range"),
            models.CheckConstraint(
                condition=Q(points_budget__isnull=True) | Q(points_cast__lte=F("points_budget") * F("total")),
                name="proposal_points_within_budgets",
            ),
        ]

    @property
    def topic(self) -> str:
        return f"proposal:{self.id}"

    @property
    def option_keys(self) -> list[str]:
        return [option["key"] for option in self.options]

    def __str__(self) -> str:
        return self.title


class Vote(models.Model):
    """One person's ballot on one public (not `anonymous`) proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=64)
    # Kinds other than `vote`/`consent` keep the whole ballot here (proposals.counting); a
    # consent block keeps its reason. `points`/`budget`: a dot vote's sum and the voter's budget.
    ballot = models.JSONField(null=True, blank=True)
    points = models.PositiveIntegerField(null=True, blank=True)
    budget = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "voter"], name="vote_one_per_person"),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(budget__isnull=False, points__lte=F("budget")),
                name="vote_points_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return f"ballot of {self.voter_id} on {self.proposal_id}"


class Elector(models.Model):
    """One member of a proposal's fixed electorate (residents or members at the vote's opening)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="electors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="elector_once")]

    def __str__(self) -> str:
        return f"{self.user_id} may vote on {self.proposal_id}"


class Amendment(models.Model):
    PENDING, ADOPTED, REFUSED = "pending", "adopted", "refused"
    STATUSES = [(PENDING, "pending"), (ADOPTED, "adopted"), (REFUSED, "refused")]
    OPTIONS = [("up", "Pour"), ("down", "Contre"), ("white", "Blanc")]

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="amendments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    status = models.CharField(max_length=8, choices=STATUSES, default=PENDING)
    counts = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal", "id"]

    def __str__(self) -> str:
        return f"amendment {self.id} to {self.proposal_id}"


class AmendmentVote(models.Model):
    """Like `Vote`, for an amendment of a public proposal."""

    amendment = models.ForeignKey(Amendment, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["amendment", "voter"], name="amendment_vote_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"ballot of {self.voter_id} on amendment {self.amendment_id}"


# --- secret ballots ----------------------------------------------------------------------------
# Random primary keys and no timestamps: neither table can be put in voting order, so neither
# can be set against a recording of the live tally.


class SecretVoter(models.Model):
    """That a person voted on a secret proposal (or one of its amendments); never what."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="secret_voters")
    amendment = models.ForeignKey(
        Amendment, null=True, blank=True, on_delete=models.CASCADE, related_name="secret_voters"
    )
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "voter"], condition=Q(amendment__isnull=True), name="secret_voter_once"
            ),
            models.UniqueConstraint(
                fields=["amendment", "voter"], condition=Q(amendment__isnull=False), name="secret_amendment_voter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} voted on {self.proposal_id}"


class SecretBallot(models.Model):
    """One secret choice. `holder` (a hash keyed with the proposal's `BallotKey` and SECRET_KEY)
    lets the voter change or see it while the vote runs; it is blanked at closing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="secret_ballots")
    amendment = models.ForeignKey(
        Amendment, null=True, blank=True, on_delete=models.CASCADE, related_name="secret_ballots"
    )
    choice = models.CharField(max_length=64)
    ballot = models.JSONField(null=True, blank=True)
    points = models.PositiveIntegerField(null=True, blank=True)
    budget = models.PositiveIntegerField(null=True, blank=True)
    holder = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(budget__isnull=False, points__lte=F("budget")),
                name="secret_ballot_points_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return "secret ballot"


class BallotKey(models.Model):
    """The random key behind a secret proposal's `holder` hashes; deleted when its vote ends."""

    proposal = models.OneToOneField(Proposal, primary_key=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)

    def __str__(self) -> str:
        return "ballot key"
