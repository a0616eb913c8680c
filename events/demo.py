"""Demo events in Saint-Denis and Saint-Pierre, written through the services like any real write."""

from datetime import timedelta

from django.utils import timezone

from discussions.demo import demo_user
from events.inputs import EventIn
from events.models import Event
from events.services import event_create, rsvp_set


def _next(weekday: int, hour: int, minute: int = 0):
    """The next given weekday (0 = Monday) at a local time in La Réunion, at least a day away."""
    now = timezone.localtime(timezone.now())
    days = (weekday - now.weekday()) % 7 or 7
    return (now + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def demo_load() -> str:
    if Event.objects.exists():
        return ""
    marie, jean, lucie = demo_user("marie"), demo_user("jean"), demo_user("lucie")
    council = _next(3, 18, 30)
    meeting = event_create(
        creator=marie,
        event=EventIn(
            title="Conseil de quartier du Barachois",
            description="Pistes cyclables, éclairage du front de mer, questions des habitants.",
            type="meeting",
            starts_at=council,
            ends_at=council + timedelta(hours=2),
            commune="97411",
            address="Hôtel de Ville, Rue de Paris, Saint-Denis",
            latitude=-20.8789,
            longitude=55.4481,
            capacity=40,
            show_participants=True,
            organisers=["jean"],
            tags=["démocratie-locale", "vélo"],
        ),
    )
    rsvp_set(user=jean, event_id=meeting["id"], status="going")
    rsvp_set(user=lucie, event_id=meeting["id"], status="interested")
    market_day = _next(5, 7)
    market = event_create(
        creator=lucie,
        event=EventIn(
            title="Marché forain du front de mer",
            description="Producteurs locaux, stand de l'association des habitants.",
            type="market",
            starts_at=market_day,
            ends_at=market_day + timedelta(hours=5),
            commune="97416",
            address="Boulevard Hubert-Delisle, Saint-Pierre",
            tags=["marché", "commerce-local"],
        ),
    )
    stand = event_create(
        creator=lucie,
        event=EventIn(
            title="Stand de l'association : inscriptions bénévoles",
            type="stand",
            starts_at=market_day + timedelta(hours=1),
            ends_at=market_day + timedelta(hours=3),
            commune="97416",
            capacity=5,
            parent=market["id"],
        ),
    )
    rsvp_set(user=marie, event_id=market["id"], status="going")
    rsvp_set(user=jean, event_id=stand["id"], status="going")
    return "3 events (Saint-Denis council meeting, Saint-Pierre market with a sub-event)"
