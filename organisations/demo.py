"""Demo organisations in Saint-Denis and Saint-Pierre: the town hall, associations, a business,
with members, a pending request, followers, and an event and a proposal made for them."""

from datetime import timedelta

from django.utils import timezone

from discussions.demo import demo_user
from events.inputs import EventIn
from organisations.inputs import OrganisationIn
from organisations.models import Organisation
from organisations.services import (
    membership_decide,
    organisation_create,
    organisation_event_create,
    organisation_follow,
    organisation_join,
    organisation_proposal_create,
)
from proposals.inputs import ProposalIn


def demo_load() -> str:
    if Organisation.objects.exists():
        return ""
    marie, jean, lucie = demo_user("marie"), demo_user("jean"), demo_user("lucie")
    mairie = organisation_create(
        creator=marie,
        organisation=OrganisationIn(
            kind="public",
            name="Mairie de Saint-Denis",
            description="L'hôtel de ville : état civil, urbanisme, conseils de quartier.",
            commune="97411",
            address="Rue de Paris, Saint-Denis",
            latitude=-20.8791,
            longitude=55.4484,
            links=["https://www.saintdenis.re"],
            tags=["mairie", "services-publics", "démocratie-locale"],
            join_approval=True,
        ),
    )
    jardins = organisation_create(
        creator=lucie,
        organisation=OrganisationIn(
            kind="association",
            name="Jardins partagés du Chaudron",
            description="Des parcelles cultivées ensemble, des ateliers compost et semences.",
            commune="97411",
            address="Rue du Chaudron, Saint-Denis",
            latitude=-20.8880,
            longitude=55.4930,
            tags=["jardin", "écologie", "compost"],
            join_approval=False,
        ),
    )
    surf = organisation_create(
        creator=jean,
        organisation=OrganisationIn(
            kind="association",
            name="Surf Club de Saint-Pierre",
            description="École de surf, nettoyage des plages, sorties du dimanche.",
            commune="97416",
            address="Front de mer, Saint-Pierre",
            latitude=-21.3440,
            longitude=55.4730,
            tags=["sport", "océan", "écologie"],
        ),
    )
    organisation_create(
        creator=jean,
        organisation=OrganisationIn(
            kind="business",
            name="Boulangerie du Barachois",
            description="Pain au feu de bois, partenaire des marchés de quartier.",
            commune="97411",
            address="Place du Barachois, Saint-Denis",
            latitude=-20.8770,
            longitude=55.4470,
            tags=["commerce-local"],
        ),
    )
    organisation_join(user=jean, organisation_id=mairie["id"])
    membership_decide(by=marie, organisation_id=mairie["id"], username="jean", decision="approve")
    organisation_join(user=lucie, organisation_id=mairie["id"])  # stays pending: marie sees it
    organisation_join(user=marie, organisation_id=jardins["id"])
    organisation_join(user=marie, organisation_id=surf["id"])
    organisation_follow(user=lucie, organisation_id=surf["id"])
    organisation_follow(user=jean, organisation_id=jardins["id"])
    workshop = timezone.localtime(timezone.now() + timedelta(days=9)).replace(hour=9, minute=0, second=0, microsecond=0)
    organisation_event_create(
        by=lucie,
        organisation_id=jardins["id"],
        event=EventIn(
            title="Atelier compost au jardin",
            description="Apprendre à composter ses déchets de cuisine.",
            type="workshop",
            starts_at=workshop,
            ends_at=workshop + timedelta(hours=2),
            capacity=15,
        ),
    )
    organisation_proposal_create(
        by=marie,
        organisation_id=mairie["id"],
        proposal=ProposalIn(
            title="Ouvrir la mairie le samedi matin",
            body="Un accueil d'état civil le samedi de 8 h à 12 h, à l'essai pendant six mois.",
        ),
    )
    return "4 organisations (Mairie de Saint-Denis, two associations, a bakery) with members, a request, an event, a proposal"
