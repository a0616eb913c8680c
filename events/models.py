import secrets

from django.conf import settings
from django.db import models

# Communecter's list of event types.
EVENT_TYPES = [
    "competition",
    "concert",
    "contest",
    "exhibition",
    "festival",
    "getTogether",
    "market",
    "meeting",
    "course",
    "workshop",
    "conference",
    "debate",
    "film",
    "stand",
    "crowdfunding",
    "others",
]

# Ticket codes avoid look-alike characters (0/O, 1/I/L) so they can be read aloud at the door.
TICKET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TICKET_LENGTH = 8


def ticket_code_new() -> str:
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


class Event(models.Model):
    SCHEDULED, CANCELLED = "scheduled", "cancelled"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=16, choices=[(t, t) for t in EVENT_TYPES], default="others")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    # The zone the event happens in: shown times and the .ics TZID use it.
    timezone = models.CharField(max_length=64, default="Indian/Reunion")
    address = models.CharField(max_length=300, blank=True)
    commune = models.ForeignKey(
        "communes.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    organisers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="organised_events")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sub_events")
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="empty: unlimited")
    invite_only = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    show_participants = models.BooleanField(default=False, help_text="anyone who sees the event sees its attendees")
    status = models.CharField(
        max_length=10, choices=[(SCHEDULED, SCHEDULED), (CANCELLED, CANCELLED)], default=SCHEDULED
    )
    room = models.OneToOneField(
        "discussions.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="event"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # iCalendar SEQUENCE: bumped by every update and by cancellation.
    revision = models.PositiveIntegerField(default=0)

    # Attendance counters, changed only with this row locked (select_for_update), in the same
    # transaction as the RSVPs they count, so one row read is a consistent snapshot.
    going_count = models.PositiveIntegerField(default=0)
    waitlisted_count = models.PositiveIntegerField(default=0)
    interested_count = models.PositiveIntegerField(default=0)
    checked_in_count = models.PositiveIntegerField(default=0)
    state_version = models.BigIntegerField(default=0)
    # Last arrival number handed out; the waitlist is served in arrival order.
    arrivals = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            ),
        ]

    @property
    def topic(self) -> str:
        return f"event:{self.id}"

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.going_count)

    def __str__(self) -> str:
        return self.title


class Rsvp(models.Model):
    GOING, WAITLISTED, INTERESTED, DECLINED, INVITED = "going", "waitlisted", "interested", "declined", "invited"
    STATUSES = [(s, s) for s in (GOING, WAITLISTED, INTERESTED, DECLINED, INVITED)]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps")
    status = models.CharField(max_length=10, choices=STATUSES)
    # Arrival number of the last request for a seat (event.arrivals at that moment): waitlist order.
    arrival = models.BigIntegerField(null=True, blank=True)
    code = models.CharField(max_length=16, unique=True, default=ticket_code_new)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the person last answered (exported as `responded_at`); a check-in keeps its own time.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="rsvp_unique_user")]
        indexes = [models.Index(fields=["event", "status", "arrival"], name="rsvp_waitlist")]
        ordering = ["event", "arrival", "id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status} for {self.event_id}"
