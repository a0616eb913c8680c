"""A room that moderates itself: a trusted member, and a message hidden by three reports whose
secret vote is running (marie, its owner, sees it in the room's moderation page)."""

from __future__ import annotations

from discussions.demo import demo_user
from discussions.selectors import room_list
from discussions.services import message_post, room_join
from moderation.inputs import PolicyIn
from moderation.models import Case
from moderation.services import commune_policy_set, item_report, member_trust


def demo_load() -> str:
    if Case.objects.exists():
        return ""
    room = room_list(user=None, q="Place de la Mairie").first()
    if room is None:
        return ""
    marie, jean, lucie = demo_user("marie"), demo_user("jean"), demo_user("lucie")
    room_join(user=jean, room_id=room.id)
    member_trust(user=marie, room_id=room.id, username="jean")
    troll = demo_user("anonyme974")
    posted = message_post(
        author=troll, room_id=room.id, body="Vous êtes tous des incapables, cette mairie est une honte !"
    )
    for reporter, reason in (
        (lucie, "Insulte envers les habitants"),
        (demo_user("paul"), "Agressif, hors sujet"),
        (demo_user("nadia"), "Propos insultants"),
    ):
        item_report(user=reporter, kind="message", item_id=posted["id"], reason=reason)
    return "1 trusted member, 1 message hidden pending its moderation vote"


def demo_commune_load() -> str:
    """After demo.trust (marie is a referent of Saint-Denis): a commune-wide proposal hidden by
    three reports, pending its referents' secret vote (marie sees it at #/moderation/commune/97411),
    which marie, its referent, gave three days."""
    from proposals.inputs import ProposalIn
    from proposals.services import proposal_create

    if Case.objects.filter(commune__isnull=False).exists():
        return ""
    # The referent gave the commune's votes three days (the defaults elsewhere: 48 h).
    commune_policy_set(user=demo_user("marie"), insee="97411", policy=PolicyIn(vote_hours=72))
    troll = demo_user("anonyme974")
    created = proposal_create(
        author=troll,
        proposal=ProposalIn(
            title="Interdire le marché forain aux « gens des hauts »",
            body="Ils salissent tout, qu'ils restent chez eux. Réservons le marché aux vrais Dionysiens.",
            commune="97411",
        ),
    )
    for reporter, reason in (
        (demo_user("lucie"), "Discriminatoire envers les habitants des hauts"),
        (demo_user("paul"), "Propos méprisants"),
        (demo_user("nadia"), "Exclut une partie de la commune"),
    ):
        item_report(user=reporter, kind="proposal", item_id=created["id"], reason=reason)
    return "1 commune-wide proposal hidden pending the referents' moderation vote (72 h, the commune's rule)"
