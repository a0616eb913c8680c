"""A decided proposal with its outcome and actions, written through the services like any real write."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from discussions.demo import demo_user
from discussions.selectors import room_list
from outcomes.inputs import ActionIn, ActionPatch
from outcomes.models import Outcome
from outcomes.services import action_create, action_update, action_volunteer, outcome_state
from proposals.inputs import ProposalIn
from proposals.services import proposal_close_now, proposal_create, vote_cast


def demo_load() -> str:
    if Outcome.objects.exists():
        return ""
    room = room_list(user=None, q="Place de la Mairie").first()
    if room is None:
        return ""
    marie, jean, lucie = demo_user("marie"), demo_user("jean"), demo_user("lucie")
    proposal = proposal_create(
        author=marie,
        proposal=ProposalIn(
            title="Un jardin partagé derrière la mairie",
            body="Transformer la friche derrière la mairie en jardin partagé, ouvert à tous les habitants.",
            room=room.id,
            closes_at=timezone.now() + timedelta(days=1),
        ),
    )
    for voter in (marie, jean, lucie):
        vote_cast(user=voter, proposal_id=proposal["id"], choice="up")
    proposal_close_now(user=marie, proposal_id=proposal["id"])
    outcome_state(
        user=marie,
        proposal_id=proposal["id"],
        statement="Adopté à l'unanimité : le jardin ouvre au printemps. Trois actions pour y arriver.",
    )
    today = timezone.localdate()
    first = action_create(
        user=marie,
        proposal_id=proposal["id"],
        action=ActionIn(title="Demander la convention d'occupation à la commune", due=today + timedelta(days=14)),
    )
    action_update(user=marie, action_id=first["id"], patch=ActionPatch(status="doing", assignees=["marie"]))
    second = action_create(
        user=marie,
        proposal_id=proposal["id"],
        action=ActionIn(title="Organiser un chantier de défrichage", due=today + timedelta(days=30)),
    )
    action_volunteer(user=jean, action_id=second["id"])
    action_create(
        user=marie,
        proposal_id=proposal["id"],
        action=ActionIn(title="Acheter les outils et les semences", assignees=["lucie"]),
    )
    return "1 outcome, 3 actions"
