"""Close early, extend, reopen — by the author or the proposal's moderators, each one sequenced
event with its reason — and a meeting-time proposal's winning slot turned into an event.

Each takes the proposal's row lock and re-checks the phase under it, so from any number of
processes a given close, extension or reopening happens once: the second concurrent reopen finds
the vote open again and answers `conflict`; a resend with the same `ref` gets the first answer.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from events.inputs import EventIn
from events.services import event_create, event_invite
from proposals import counting, selectors
from proposals.ballots import secret_blocks_lift
from proposals.models import Proposal, SecretVoter, Vote
from proposals.notices import proposal_reopened_notify
from proposals.services.common import proposal_row_locked
from proposals.services.lifecycle import may_close
from proposals.signals import proposal_reopening
from realtime.errors import AppError
from realtime.schemas import input_parse
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed
from realtime.writes import user_write

MODERATORS_ONLY = "only the author, the room's moderators or the event's organisers may do this"


def _moderated_locked(*, user, proposal_id: int) -> Proposal:
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user)
    if not may_close(proposal, user):
        raise AppError("forbidden", MODERATORS_ONLY)
    return proposal_row_locked(proposal_id)


def _future(closes_at: datetime, now: datetime) -> datetime:
    if closes_at <= now:
        raise AppError("bad_request", "closes_at must be in the future")
    return closes_at


@user_write("proposal_extend", signed_out="sign in first")
def proposal_extend(*, user, proposal_id: int, closes_at: datetime, reason: str, ref: str | None = None) -> dict:
    """Move an open vote's closing later; publishes `proposal.extended` with the reason."""
    locked = _moderated_locked(user=user, proposal_id=proposal_id)
    now = timezone.now()
    if locked.phase != Proposal.TOVOTE or locked.closes_at <= now:
        raise AppError("conflict", "only an open vote can be extended (reopen a closed one)")
    if _future(closes_at, now) <= locked.closes_at:
        raise AppError("bad_request", f"closes_at must be after the current closing ({locked.closes_at.isoformat()})")
    previous = locked.closes_at
    locked.closes_at = closes_at
    locked.state_version += 1
    locked.save(update_fields=["closes_at", "state_version"])
    data = {
        "id": locked.id,
        "closes_at": closes_at.isoformat(),
        "previous_closes_at": previous.isoformat(),
        "reason": reason,
        "by": user.username,
    }
    event = topic_event_append(topic=locked.topic, kind="proposal.extended", data=data)
    topic_state_changed(locked.topic)
    return {**data, "seq": event.seq}


@user_write("proposal_reopen", signed_out="sign in first")
def proposal_reopen(*, user, proposal_id: int, closes_at: datetime, reason: str, ref: str | None = None) -> dict:
    """Open a closed (resolved) vote again until `closes_at`: the result is withdrawn, ballots
    stand and may be changed under the usual rules (on a secret ballot the links were destroyed
    at closing, so earlier secret votes stand as cast). Not for a meeting time that became an
    event. Publishes `proposal.reopened` with the reason and how many eligible people have not
    voted (`undecided`, when the electorate is known). A decision already followed (an outcome
    stated, an action made) does not reopen either: `conflict`, nothing changed."""
    locked = _moderated_locked(user=user, proposal_id=proposal_id)
    now = timezone.now()
    if locked.spawned_event_id is not None:
        raise AppError(
            "conflict", f"this vote became event {locked.spawned_event_id}: it cannot reopen (change the event)"
        )
    if locked.phase != Proposal.RESOLVED:
        raise AppError("conflict", f"only a closed vote can reopen (phase {locked.phase})")
    proposal_reopening.send(sender=Proposal, proposal=locked)  # outcomes refuses a followed decision
    locked.closes_at = _future(closes_at, now)
    locked.phase = Proposal.TOVOTE
    locked.closed_at = None
    locked.outcome = None
    locked.result = ""
    locked.reopened_count += 1
    locked.state_version += 1
    locked.save(
        update_fields=["closes_at", "phase", "closed_at", "outcome", "result", "reopened_count", "state_version"]
    )
    eligible = selectors.eligible_count(locked)
    data = {
        "id": locked.id,
        "closes_at": locked.closes_at.isoformat(),
        "reason": reason,
        "by": user.username,
        "undecided": None if eligible is None else max(eligible - locked.total, 0),
    }
    # Only those who may vote and have not are told (loomio #12803); never everyone signed in.
    proposal_reopened_notify(
        locked, undecided=selectors.proposal_undecided_ids(locked) or [], reason=reason, by=user.id
    )
    event = topic_event_append(topic=locked.topic, kind="proposal.reopened", data=data)
    topic_state_changed(locked.topic)
    return {**data, "seq": event.seq}


@user_write("proposal_revise", signed_out="sign in first")
def proposal_revise(*, user, proposal_id: int, body: str, reason: str, ref: str | None = None) -> dict:
    """Consent: the author (or staff) revises the text while the vote runs. Standing blocks were
    about the old text, so they are lifted: each blocker's ballot is removed (they may vote
    again, even without `can_change`); other ballots stand. Publishes `proposal.revised`."""
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user)
    if proposal.author_id != user.id and not user.is_staff:
        raise AppError("forbidden", "only the author revises a proposal")
    locked = proposal_row_locked(proposal_id)
    if locked.kind != counting.CONSENT:
        raise AppError("bad_request", "only a consent proposal is revised during its vote (blocks are lifted)")
    if locked.phase != Proposal.TOVOTE or locked.closes_at <= timezone.now():
        raise AppError("conflict", "only an open vote can be revised")
    if locked.anonymous:
        lifted = secret_blocks_lift(proposal=locked)
    else:
        lifted, _ = Vote.objects.filter(proposal=locked, choice="block").delete()
    counts = dict(locked.counts)
    counts["block"] = counts.get("block", 0) - lifted
    locked.counts = counts
    locked.total -= lifted
    locked.body = body
    locked.state_version += 1
    locked.save(update_fields=["counts", "total", "body", "state_version"])
    data = {"id": locked.id, "body": body, "reason": reason, "by": user.username, "blocks_lifted": lifted}
    event = topic_event_append(topic=locked.topic, kind="proposal.revised", data=data)
    topic_state_changed(locked.topic)
    return {**data, "seq": event.seq}


@user_write("proposal_schedule", signed_out="sign in first")
def proposal_schedule(*, user, proposal_id: int, slot: str | None = None, address: str = "", ref: str | None = None):
    """Meeting time, once closed: the winning slot (or `slot`, e.g. among tied ones) becomes an
    event in one step, once only. The event is public when the proposal is; otherwise it is
    invite-only. Who voted is invited (an `invited` RSVP, so it is in their events and its
    calendar file): on a public ballot those available at that slot, on a secret one everyone
    who voted. Publishes `proposal.scheduled` with the event and its iCalendar link."""
    locked = _moderated_locked(user=user, proposal_id=proposal_id)
    if locked.kind != counting.MEETING:
        raise AppError("bad_request", "only a meeting-time proposal becomes an event")
    if locked.hidden_at is not None:
        raise AppError("conflict", "this proposal is hidden by reports until its room's moderation vote")
    if locked.spawned_event_id is not None:
        raise AppError("conflict", f"this vote already became event {locked.spawned_event_id}")
    if locked.phase != Proposal.RESOLVED:
        raise AppError("conflict", "close the vote first: the slot is chosen once it is closed")
    winner = (locked.outcome or {}).get("winner")
    slot = slot or winner
    if slot is None:
        tied = ", ".join((locked.outcome or {}).get("tied") or locked.option_keys)
        raise AppError("bad_request", f"no single winning slot: choose one of {tied}")
    option = next((o for o in locked.options if o["key"] == slot), None)
    if option is None:
        raise AppError("bad_request", f"slot must be one of: {', '.join(locked.option_keys)}")
    public = (locked.room is None or locked.room.visibility == "public") and (
        locked.event is None or not locked.event.invite_only
    )
    fields = {
        "title": locked.title,
        "starts_at": option["starts_at"],
        "ends_at": option["ends_at"],
        "description": locked.body[:5000],
        "type": "meeting",
        "commune": locked.commune_id,
        "address": address,
        "invite_only": not public,
    }
    created = event_create(creator=user, event=input_parse(EventIn, fields))
    invitees = _invitees(locked, slot)
    if invitees:
        event_invite(by=user, event_id=created["id"], usernames=invitees)
    locked.spawned_event_id = created["id"]
    locked.state_version += 1
    locked.save(update_fields=["spawned_event", "state_version"])
    data = {
        "id": locked.id,
        "event": created["id"],
        "slot": slot,
        "starts_at": option["starts_at"],
        "ends_at": option["ends_at"],
        "ics": f"/api/events/{created['id']}/ics",
        "invited": len(invitees),
    }
    event = topic_event_append(topic=locked.topic, kind="proposal.scheduled", data=data)
    topic_state_changed(locked.topic)
    return {**data, "seq": event.seq}


def _invitees(proposal: Proposal, slot: str) -> list[str]:
    if proposal.anonymous:
        voters = SecretVoter.objects.filter(proposal=proposal, amendment__isnull=True)
        return sorted(voters.values_list("voter__username", flat=True))
    votes = Vote.objects.filter(proposal=proposal).values_list("voter__username", "ballot")
    return sorted(name for name, ballot in votes if ballot and slot in ballot.get("choices", []))
