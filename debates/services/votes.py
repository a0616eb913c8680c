"""Votes on the spot: a quick proposal opened from the debate, shown on the big screen.

The proposal itself is the proposals app's (created through its service, closed now through
its `proposal_close_now`); the debate only remembers which one it shows.
"""

from __future__ import annotations

from django.db import transaction

from debates.selectors import moderator_required
from debates.services.common import debate_locked, publish, questions_topic
from events.selectors import event_of_room
from proposals.services import proposal_create
from realtime.errors import AppError
from realtime.idempotency import write_once


def debate_vote_open(*, user, room_id: int, fields: dict, ref: str | None = None) -> dict:
    """A moderator opens a proposal in one step: for `present` eligibility it belongs to the
    room's event (its checked-in attendees vote), otherwise to the room. Publishes
    `vote.opened` on the debate topic; returns {id, topic}."""

    def perform() -> dict:
        debate = debate_locked(room_id=room_id, user=user)
        moderator_required(room=debate.room, user=user)
        target: dict = {"room_id": room_id}
        if fields.get("eligibility") == "present":
            event = event_of_room(room_id)
            if event is None:
                raise AppError("bad_request", "eligibility 'present' needs a room that belongs to an event")
            target = {"event_id": event.id}
        proposal = proposal_create(author=user, **target, **fields)
        debate.current_vote = proposal
        debate.save(update_fields=["current_vote"])
        data = {"proposal": proposal.id, "topic": proposal.topic, "title": proposal.title}
        publish(topic=questions_topic(room_id), kind="vote.opened", data=data)
        return {"id": proposal.id, "topic": proposal.topic}

    with transaction.atomic():
        return write_once(user=user, ref=ref, action="debate_vote", perform=perform)
