"""Demo proposals in the demo rooms, written through the services like any real write."""

from datetime import timedelta

from django.utils import timezone

from discussions.demo import demo_user
from discussions.selectors import room_list
from proposals.inputs import ProposalIn
from proposals.models import Proposal
from proposals.services import proposal_create, vote_cast


def demo_load() -> str:
    if Proposal.objects.exists():
        return ""
    made = 0
    room = room_list(user=None, q="Place de la Mairie").first()
    if room is not None:
        proposal = proposal_create(
            author=demo_user("marie"),
            proposal=ProposalIn(
                title="Des pistes cyclables sur le Barachois",
                body="Aménager une piste cyclable continue le long du Barachois, du jardin de l'État au port.",
                arguments_for="Sécurité des cyclistes, moins de voitures en centre-ville.",
                arguments_against="Coût des travaux, places de stationnement supprimées.",
                room=room.id,
                closes_at=timezone.now() + timedelta(days=3),
            ),
        )
        vote_cast(user=demo_user("jean"), proposal_id=proposal["id"], choice="up")
        made += 1
    room = room_list(user=None, q="Front de mer").first()
    if room is not None:
        proposal_create(
            author=demo_user("lucie"),
            proposal=ProposalIn(
                title="Quel jour pour le marché forain ?",
                body="Le marché forain du front de mer change de jour : votez pour celui qui vous convient.",
                room=room.id,
                choices=["Vendredi soir", "Samedi matin", "Dimanche matin"],
                anonymous=True,
                closes_at=timezone.now() + timedelta(days=5),
            ),
        )
        made += 1
    return f"{made} proposals" if made else ""
