"""Votes on the spot: a quick proposal opened from the debate, shown on the big screen.

The proposal itself is the proposals app's (created through its service, closed now through
its `proposal_close_now`); the debate only remembers which one it shows.
"""

from __future__ import annotations

from debates.selectors import moderator_required
from debates.services.common import debate_locked, publish, questions_topic
from events.selectors import event_of_room
from proposals.inputs import ProposalIn
from proposals.services import proposal_create
from realtime.errors import AppError
from realtime.writes import user_write


@user_write("debate_vote", actor="user", signed_out="sign in to take part in the debate")
def debate_vote_open(*, user, room_id: int, proposal: ProposalIn, ref: str | None = None) -> dict:
    """A moderator opens a proposal in one step (every field of a proposal; where it belongs is
    decided here): for `present` eligibility it belongs to the room's event (its checked-in
    attendees vote), otherwise to the room. Publishes `vote.opened` on the debate topic;
    returns {id, topic}."""
    debate = debate_locked(room_id=room_id, user=user)
    moderator_required(room=debate.room, user=user)
    where = {"room": room_id, "event": None, "commune": None}
    if proposal.eligibility == "present":
        event = event_of_room(room_id)
        if event is None:
            raise AppError("bad_request", "eligibility 'present' needs a room that belongs to an event")
        where = {"room": None, "event": event.id, "commune": None}
    created = proposal_create(author=user, proposal=proposal.model_copy(update=where))
    debate.current_vote_id = created["id"]
    debate.save(update_fields=["current_vote"])
    data = {"proposal": created["id"], "topic": created["topic"], "title": proposal.title}
    publish(topic=questions_topic(room_id), kind="vote.opened", data=data)
    return {"id": created["id"], "topic": created["topic"]}
