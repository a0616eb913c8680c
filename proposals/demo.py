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
    room = room_list(user=None, q="Place de la Mairie").first()
    if room is not None:
        made += _ballot_kinds(room.id)
    return f"{made} proposals" if made else ""


def _ballot_kinds(room_id: int) -> int:
    """One proposal of each ballot kind with a few ballots: a standing block, a ranking…"""
    marie, jean, lucie = demo_user("marie"), demo_user("jean"), demo_user("lucie")
    soon = timezone.now() + timedelta(days=4)

    def make(**fields) -> int:
        return proposal_create(author=marie, proposal=ProposalIn(room=room_id, closes_at=soon, **fields))["id"]

    consent = make(
        kind="consent",
        title="Fermer la rue de Paris aux voitures le dimanche",
        body="Essai de six mois, de 8 h à 13 h, avec navette gratuite.",
    )
    vote_cast(user=jean, proposal_id=consent, ballot={"choice": "agree"})
    reason = "Les livraisons du marché passent par là : il faut un autre accès."
    vote_cast(user=lucie, proposal_id=consent, ballot={"choice": "block", "reason": reason})
    ranked = make(
        kind="ranked",
        title="Quel projet pour la friche du Butor ?",
        body="Classez les projets, votre préféré en premier.",
        choices=["Jardin partagé", "Terrain de sport", "Marché couvert", "Parking"],
    )
    vote_cast(user=jean, proposal_id=ranked, ballot={"ranking": ["c1", "c3"]})
    vote_cast(user=lucie, proposal_id=ranked, ballot={"ranking": ["c3", "c1", "c2"]})
    score = make(
        kind="score",
        title="Notez les tracés de la ligne de bus",
        body="De 0 (à éviter) à 5 (excellent).",
        choices=["Par le front de mer", "Par le centre-ville", "Par les hauts"],
    )
    vote_cast(user=jean, proposal_id=score, ballot={"scores": {"c1": 4, "c2": 3, "c3": 1}})
    dot = make(
        kind="dot",
        title="Budget participatif : répartissez 10 points",
        body="Chaque point vaut une part du budget de quartier.",
        choices=["Éclairage", "Bancs et ombrières", "Fontaines", "Pistes cyclables"],
        points=10,
    )
    vote_cast(user=lucie, proposal_id=dot, ballot={"points": {"c2": 6, "c3": 4}})
    approval = make(
        kind="approval",
        title="Fête de quartier : quelles animations ?",
        body="Cochez toutes celles que vous soutenez (deux au plus).",
        choices=["Concert de maloya", "Repas partagé", "Jeux pour enfants"],
        max_choices=2,
    )
    vote_cast(user=jean, proposal_id=approval, ballot={"choices": ["c1", "c2"]})
    vote_cast(user=lucie, proposal_id=approval, ballot={"choices": ["c2"]})
    day = (timezone.now() + timedelta(days=10)).replace(hour=14, minute=0, second=0, microsecond=0)
    meeting = make(
        kind="meeting",
        title="Réunion publique sur le plan vélo",
        body="Cochez les créneaux où vous pouvez venir.",
        slots=[
            {
                "starts_at": day + timedelta(days=offset, hours=hours),
                "ends_at": day + timedelta(days=offset, hours=hours + 2),
            }
            for offset, hours in ((0, 0), (0, 4), (1, 4))
        ],
    )
    vote_cast(user=jean, proposal_id=meeting, ballot={"choices": ["s2", "s3"]})
    vote_cast(user=lucie, proposal_id=meeting, ballot={"choices": ["s2"]})
    return 6
