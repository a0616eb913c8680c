"""Who a message concerns: the people it mentions, the author it replies to, its author when moderated."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model

from discussions.models import Membership, Message, Room
from notifications.services import notify

# `@name` not preceded by a word character (so e-mail addresses are not mentions).
MENTION_PATTERN = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")
MENTIONS_MAX = 100
EXCERPT = 140


def mentioned_usernames(body: str) -> list[str]:
    names = dict.fromkeys(match.rstrip(".") for match in MENTION_PATTERN.findall(body))
    return list(names)[:MENTIONS_MAX]


def _readers(room: Room, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` who may read `room`: anyone for a public room, members for a private one."""
    if room.visibility == Room.PUBLIC or not user_ids:
        return user_ids
    return set(Membership.objects.filter(room=room, user_id__in=user_ids).values_list("user_id", flat=True))


def message_notify(*, message: Message, room: Room) -> None:
    """Queue `mention` and `reply` notifications (in the poster's transaction; delivered after commit).

    Only people who may read the room are named; a mention of an outsider of a private room
    notifies nobody. The delivery re-checks readability, in case access changed meanwhile.
    """
    data = {
        "actor": message.author.username,
        "title": room.name,
        "excerpt": message.body[:EXCERPT],
        "room": room.id,
        "message": message.id,
        "seq": message.seq,
        "url": f"/#/room/{room.id}",
    }
    names = mentioned_usernames(message.body)
    mentioned: set[int] = set()
    if names:
        found = get_user_model().objects.filter(username__in=names, is_active=True).values_list("id", flat=True)
        mentioned = _readers(room, set(found))
        notify(kind="mention", recipients=mentioned, subject=room.topic, data=data, exclude=message.author_id)
    if message.reply_to_id is not None:
        parent_author = Message.objects.filter(id=message.reply_to_id).values_list("author_id", flat=True).first()
        if parent_author is not None and parent_author not in mentioned:
            recipients = _readers(room, {parent_author})
            notify(kind="reply", recipients=recipients, subject=room.topic, data=data, exclude=message.author_id)


def moderation_notify(*, message: Message, room: Room, moderator) -> None:
    """Tell the author that a moderator removed their message (what it said, not who removed it)."""
    notify(
        kind="moderation",
        recipients=[message.author_id],
        subject=room.topic,
        data={
            "title": room.name,
            "excerpt": message.body[:EXCERPT],
            "action": "message_deleted",
            "url": f"/#/room/{room.id}",
        },
    )
