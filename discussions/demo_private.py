"""Demo of a private room: members, a pending invitation, mentions, a reply, reactions, notifications."""

from __future__ import annotations

from discussions import members, reactions
from discussions.demo import demo_user
from discussions.models import Room
from discussions.services import message_post, room_create
from notifications.services import deliveries_run, preferences_set

ROOM_NAME = "Comité des fêtes (privé)"


def demo_load() -> str:
    if Room.objects.filter(name=ROOM_NAME).exists():
        return ""
    marie, jean, lucie = demo_user("marie"), demo_user("jean"), demo_user("lucie")
    preferences_set(user=lucie, language="en", digest="hourly")
    room = Room.objects.get(id=room_create(creator=marie, name=ROOM_NAME, visibility=Room.PRIVATE)["id"])
    invitation = members.room_invite(by=marie, room_id=room.id, username="jean")["invitation"]
    members.invitation_answer(user=jean, invitation_id=invitation, accept=True)
    first = message_post(author=marie, room_id=room.id, body="@jean tu peux t'occuper de la sono samedi ?")
    message_post(author=jean, room_id=room.id, body="Oui, je m'en charge !", reply_to=first["id"])
    reactions.reaction_set(user=jean, room_id=room.id, message_id=first["id"], emoji="👍")
    reactions.reaction_set(user=marie, room_id=room.id, message_id=first["id"], emoji="🎉")
    members.room_invite(by=marie, room_id=room.id, username="lucie")  # left pending: lucie's inbox shows it
    delivered = deliveries_run()
    return f"private room {ROOM_NAME!r} (marie, jean; lucie invited), {delivered} notifications"
