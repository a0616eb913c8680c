"""A demo debate: the Saint-Denis room in debate mode, with questions, upvotes, a queue and a
consent vote on the spot (its blocks and ballots on the big screen)."""

from debates.models import Debate
from debates.services import (
    debate_configure,
    debate_vote_open,
    hand_raise,
    question_ask,
    question_moderate,
    question_upvote,
)
from discussions.demo import demo_user
from discussions.models import Membership, Room
from discussions.services import room_member_add
from proposals.inputs import ProposalIn
from proposals.services import vote_cast

QUESTIONS = [
    ("jean", "Quand les travaux de la piste cyclable du Barachois commencent-ils ?", False),
    ("lucie", "Peut-on garder des places de stationnement pour les commerçants du centre ?", True),
    ("jean", "La navette gratuite sera-t-elle prolongée le dimanche ?", False),
]


def demo_load() -> str:
    room = Room.objects.filter(name__startswith="Place de la Mairie").first()
    if room is None or Debate.objects.filter(room=room).exists():
        return ""
    marie = demo_user("marie")
    for username in ("jean", "lucie"):
        room_member_add(by=marie, room_id=room.id, user=demo_user(username), role=Membership.MEMBER)
    debate_configure(user=marie, room_id=room.id, turn_limit=120, fairness=Debate.NOT_SPOKEN)
    asked = [
        question_ask(author=demo_user(author), room_id=room.id, body=body, anonymous=anonymous)["id"]
        for author, body, anonymous in QUESTIONS
    ]
    for username, question in [("marie", asked[0]), ("lucie", asked[0]), ("marie", asked[2])]:
        question_upvote(user=demo_user(username), room_id=room.id, question_id=question)
    question_moderate(user=marie, room_id=room.id, question_id=asked[2], action="pin")
    for username in ("jean", "lucie"):
        hand_raise(user=demo_user(username), room_id=room.id)
    vote = debate_vote_open(
        user=marie,
        room_id=room.id,
        proposal=ProposalIn(
            title="Prolonger la séance de 15 minutes ?",
            body="Pour traiter les questions restantes.",
            kind="consent",
            eligibility="members",
        ),
    )
    vote_cast(user=demo_user("jean"), proposal_id=vote["id"], ballot={"choice": "agree"})
    vote_cast(user=demo_user("lucie"), proposal_id=vote["id"], ballot={"choice": "abstain"})
    return f"debate in room {room.id}: {len(asked)} questions, 2 hands raised, a consent vote on the spot"
