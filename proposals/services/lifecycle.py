"""Creating a proposal and moving it through its phases: open, close (scheduler), archive."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.tags import tags_index_set
from communes.selectors import commune_get, referent_is
from communes.stream import commune_news_append
from discussions.models import Room
from discussions.selectors import room_get_readable, room_moderated_by
from events.selectors import event_get_visible, event_is_organiser
from proposals import counting, selectors, tally
from proposals.ballots import secret_ballots_unlink
from proposals.electorate import electorate_fix
from proposals.inputs import REASON_MAX, ProposalIn
from proposals.models import Amendment, Elector, Proposal
from proposals.notices import proposal_opened_notify, proposal_result_notify
from proposals.services.common import DEFAULT_VOTING_PERIOD, proposal_row_locked
from proposals.signals import proposal_resolved
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed
from realtime.writes import user_write


def _options(proposal: ProposalIn) -> tuple[list[dict], bool]:
    """(ballot options, multiple_choice) from the kind and the optional custom labels or slots."""
    if proposal.kind == counting.CONSENT:
        return [dict(option) for option in counting.CONSENT_OPTIONS], False
    if proposal.kind == counting.MEETING:
        slots = sorted(proposal.slots, key=lambda slot: (slot.starts_at, slot.ends_at))
        options = [
            {
                "key": f"s{index}",
                "label": f"{slot.starts_at.isoformat()} – {slot.ends_at.isoformat()}",
                "starts_at": slot.starts_at.isoformat(),
                "ends_at": slot.ends_at.isoformat(),
            }
            for index, slot in enumerate(slots, start=1)
        ]
        return options, True
    if proposal.choices is None:
        return [dict(option) for option in tally.FOURWAY_OPTIONS], False
    labels = enumerate(proposal.choices, start=1)
    return [{"key": f"c{index}", "label": label} for index, label in labels], True


def _kind_fields(proposal: ProposalIn, options: list[dict]) -> dict:
    """The kind's settings with their defaults (proposals/README.md "Counting rules")."""
    fields: dict = {"kind": proposal.kind}
    if proposal.kind in (counting.APPROVAL, counting.MEETING):
        fields["min_choices"] = proposal.min_choices if proposal.min_choices is not None else 1
        fields["max_choices"] = proposal.max_choices if proposal.max_choices is not None else len(options)
        if fields["min_choices"] > fields["max_choices"]:
            raise AppError("bad_request", "min_choices cannot exceed max_choices")
    if proposal.kind == counting.SCORE:
        fields["scale_min"] = proposal.scale_min if proposal.scale_min is not None else 0
        fields["scale_max"] = proposal.scale_max if proposal.scale_max is not None else 5
        if fields["scale_min"] >= fields["scale_max"]:
            raise AppError("bad_request", "scale_min must be below scale_max")
    if proposal.kind == counting.DOT:
        fields["points_budget"] = proposal.points if proposal.points is not None else 10
    return fields


def _scope(proposal: ProposalIn, *, author) -> tuple:
    """(room, event, commune) the proposal belongs to, each readable by the author, and the
    electorate its eligibility names."""
    room = event = commune = None
    if proposal.room is not None:
        room = room_get_readable(room_id=proposal.room, user=author)
        commune = room.commune
    if proposal.event is not None:
        event = event_get_visible(event_id=proposal.event, user=author)
        commune = event.commune
    if proposal.commune is not None:
        commune = commune_get(insee=proposal.commune)
    if room is None and event is None and commune is None:
        raise AppError("bad_request", "a proposal belongs to a room, an event or a commune")
    needs = {Proposal.MEMBERS: ("a room", room), Proposal.PRESENT: ("an event", event)}
    needs[Proposal.RESIDENTS] = ("a commune", commune)
    if proposal.eligibility in needs and needs[proposal.eligibility][1] is None:
        raise AppError("bad_request", f"eligibility '{proposal.eligibility}' needs {needs[proposal.eligibility][0]}")
    return room, event, commune


def _dates(proposal: ProposalIn, now: datetime) -> tuple[datetime | None, datetime]:
    """(amendable_until, closes_at): amendments end in the future, the vote closes after it opens."""
    amendable_until = proposal.amendable_until
    if amendable_until is not None and amendable_until <= now:
        raise AppError("bad_request", "amendable_until must be in the future")
    opens_at = amendable_until or now
    closes_at = proposal.closes_at or opens_at + DEFAULT_VOTING_PERIOD
    if closes_at <= opens_at:
        raise AppError("bad_request", "closes_at must be after the vote opens (now, or amendable_until)")
    return amendable_until, closes_at


@user_write("proposal_create", actor="author", signed_out="sign in to make a proposal")
def proposal_create(*, author, proposal: ProposalIn, ref: str | None = None) -> dict:
    """Open a proposal in a room, an event or a commune the author may read; returns {id, topic}.

    Without `amendable_until` the vote opens at once (publishes `proposal.opened`); otherwise
    the scheduler opens it at that date, after resolving the amendments.
    """
    room, event, commune = _scope(proposal, author=author)
    row = _proposal_make(proposal, author=author, room=room, event=event, commune=commune)
    return {"id": row.id, "topic": row.topic}


def proposal_open_for_electors(
    *, title: str, body: str, electors: list, majority: int, closes_at, room_id: int | None = None, commune=None
):
    """Open at once a secret vote For / Against / Blank / Incomplete attached to a room (or, for
    a commune's moderation, to the commune), that only `electors` may read and vote on (a
    moderation vote); no commune news, listed nowhere. Called inside the caller's write; returns
    the proposal."""
    proposal = ProposalIn(title=title, body=body, majority=majority, closes_at=closes_at, anonymous=True)
    room = Room.objects.get(id=room_id) if room_id is not None else None
    return _proposal_make(
        proposal,
        author=None,
        room=room,
        event=None,
        commune=None if room is not None else commune_get(insee=commune),
        eligibility=Proposal.ELECTORS,
        electors=electors,
    )


def _proposal_make(
    proposal: ProposalIn, *, author, room, event, commune, eligibility: str | None = None, electors: list | None = None
) -> Proposal:
    now = timezone.now()
    amendable_until, closes_at = _dates(proposal, now)
    options, multiple_choice = _options(proposal)
    kind_fields = _kind_fields(proposal, options)
    rules = counting.Rules(
        kind=proposal.kind,
        keys=tuple(option["key"] for option in options),
        **{field: value for field, value in kind_fields.items() if field != "kind"},
    )
    counts, detail = counting.counts_empty(rules)
    row = Proposal.objects.create(
        title=proposal.title,
        tags=list(proposal.tags),
        body=proposal.body,
        arguments_for=proposal.arguments_for,
        arguments_against=proposal.arguments_against,
        author=author,
        room=room,
        event=event,
        commune=commune,
        options=options,
        multiple_choice=multiple_choice,
        majority=proposal.majority,
        quorum_votes=proposal.quorum_votes,
        quorum_share=proposal.quorum_share,
        eligibility=eligibility or proposal.eligibility,
        anonymous=proposal.anonymous,
        can_change=proposal.can_change,
        hide_results=proposal.hide_results,
        phase=Proposal.AMENDABLE if amendable_until else Proposal.TOVOTE,
        amendable_until=amendable_until,
        closes_at=closes_at,
        opened_at=None if amendable_until else now,
        counts=counts,
        detail=detail,
        state_version=1,
        **kind_fields,
    )
    if electors is not None:
        Elector.objects.bulk_create([Elector(proposal=row, user=person) for person in electors])
    if row.phase == Proposal.TOVOTE:
        electorate_fix(row)
        row.save(update_fields=["electorate_rule", "electorate_size"])
        _opened_publish(row, amendments=[])
    if _public(row):
        news = {"id": row.id, "title": row.title, "phase": row.phase, "closes_at": row.closes_at.isoformat()}
        commune_news_append(insee=row.commune_id, kind="commune.proposal_created", data=news)
    if row.tags:
        tags_index_set(kind="proposal", object_id=row.id, tags=row.tags)
    return row


def _public(proposal: Proposal) -> bool:
    """Readable by anyone (the commune's news topic is): not in a private room nor an invite-only
    event, not a vote among named electors."""
    if proposal.eligibility == Proposal.ELECTORS or proposal.hidden_at is not None:
        return False  # a moderation vote; a proposal hidden by reports (no news carries its title)
    room_public = proposal.room is None or proposal.room.visibility == Room.PUBLIC
    return room_public and (proposal.event is None or not proposal.event.invite_only)


def _opened_publish(proposal: Proposal, *, amendments: list[dict]) -> None:
    topic_event_append(
        topic=proposal.topic,
        kind="proposal.opened",
        data={
            "id": proposal.id,
            "phase": proposal.phase,
            "opened_at": proposal.opened_at.isoformat(),
            "closes_at": proposal.closes_at.isoformat(),
            "amendments": amendments,
        },
    )
    topic_state_changed(proposal.topic)
    proposal_opened_notify(proposal)


# --- phase changes (scheduler) ----------------------------------------------------------------


def proposal_open_due(*, proposal_id: int, now: datetime | None = None) -> bool:
    """Open the vote of an amendable proposal whose `amendable_until` has come, exactly once:
    the row is claimed with a skip-locked lock and re-checked, so concurrent schedulers
    cannot both open it. Resolves the amendments and publishes `proposal.opened`."""
    now = now or timezone.now()
    with transaction.atomic():
        proposal = (
            Proposal.objects.select_for_update(skip_locked=True)
            .filter(id=proposal_id, phase=Proposal.AMENDABLE, amendable_until__lte=now)
            .first()
        )
        if proposal is None:
            return False
        adopted = []
        for amendment in proposal.amendments.filter(status=Amendment.PENDING):
            up = amendment.counts.get("up", 0)
            amendment.status = (
                Amendment.ADOPTED if tally.up_adopted(up=up, total=amendment.total, majority=50) else Amendment.REFUSED
            )
            amendment.save(update_fields=["status"])
            if amendment.status == Amendment.ADOPTED:
                adopted.append({"id": amendment.id, "body": amendment.body, "status": Amendment.ADOPTED})
        if proposal.anonymous:
            secret_ballots_unlink(proposal=proposal, amendments_only=True)
        proposal.phase = Proposal.TOVOTE
        proposal.opened_at = now
        if proposal.closes_at <= now:
            proposal.closes_at = now + DEFAULT_VOTING_PERIOD
        proposal.state_version += 1
        electorate_fix(proposal)
        proposal.save(
            update_fields=["phase", "opened_at", "closes_at", "state_version", "electorate_rule", "electorate_size"]
        )
        _opened_publish(proposal, amendments=adopted)
    return True


def proposal_close_due(*, proposal_id: int, now: datetime | None = None) -> bool:
    """Close a vote whose `closes_at` has come, exactly once (claimed like proposal_open_due);
    freezes the outcome and publishes `proposal.closed` with the result and final tally."""
    now = now or timezone.now()
    with transaction.atomic():
        proposal = (
            Proposal.objects.select_for_update(skip_locked=True)
            .filter(id=proposal_id, phase=Proposal.TOVOTE, closes_at__lte=now)
            .first()
        )
        if proposal is None:
            return False
        _close(proposal, now)
    return True


@user_write("proposal_close", signed_out="sign in first")
def proposal_close_now(*, user, proposal_id: int, reason: str = "", ref: str | None = None) -> dict:
    """The author, staff, the room's owners/moderators or the event's organisers close the vote
    now, optionally saying why: once only, from any process (the row lock makes a second close
    see `resolved` and answer `conflict`). Publishes `proposal.closed` with the result (and
    `by`, `note`); returns it."""
    if len(reason) > REASON_MAX:
        raise AppError("bad_request", f"reason: at most {REASON_MAX} characters")
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user)
    if not may_close(proposal, user):
        raise AppError("forbidden", "only the author, the room's moderators or the event's organisers close a vote")
    locked = proposal_row_locked(proposal_id)
    if locked.phase != Proposal.TOVOTE:
        raise AppError("conflict", f"this vote is not open (phase {locked.phase})")
    _close(locked, timezone.now(), by=user.username, note=reason.strip())
    return {"id": locked.id, **locked.outcome}


def proposal_close_if_all_voted(locked: Proposal) -> bool:
    """In a vote's transaction, under the proposal's row lock: a vote among named electors (a
    room's moderation vote) closes as soon as every one of them has voted — nobody is left to
    wait for. The lock makes it once only, from any process: the next ballot finds the vote
    closed. Publishes `proposal.closed` with `all_voted: true`."""
    if locked.eligibility != Proposal.ELECTORS or locked.phase != Proposal.TOVOTE:
        return False
    if not locked.electorate_size or locked.total < locked.electorate_size:
        return False
    _close(locked, timezone.now(), all_voted=True)
    return True


def may_close(proposal: Proposal, user) -> bool:
    if proposal.author_id == user.id or user.is_staff:
        return True
    if proposal.room_id is not None and room_moderated_by(room=proposal.room, user=user):
        return True
    if proposal.eligibility == Proposal.ELECTORS and proposal.room_id is None:
        return referent_is(user=user, insee=proposal.commune_id)  # a commune's moderation vote
    if proposal.event_id is None:
        return False
    return event_is_organiser(event=event_get_visible(event_id=proposal.event_id, user=user), user=user)


def _close(
    proposal: Proposal, now: datetime, *, by: str | None = None, note: str = "", all_voted: bool = False
) -> None:
    eligible = selectors.eligible_count(proposal)
    outcome = selectors.proposal_outcome_provisional(proposal, eligible, final=True)
    counts = tally.counts_complete(proposal.option_keys, proposal.counts)
    final = {
        **outcome,
        "counts": counts,
        "total": proposal.total,
        "eligible": eligible,
        "turnout": tally.turnout(proposal.total, eligible),
    }
    proposal.outcome = final
    proposal.result = outcome["result"]
    proposal.phase = Proposal.RESOLVED
    proposal.closed_at = now
    proposal.state_version += 1
    proposal.save(update_fields=["outcome", "result", "phase", "closed_at", "state_version"])
    if proposal.anonymous:
        secret_ballots_unlink(proposal=proposal)
    early = {"by": by, "note": note} if by is not None else {}
    if all_voted:
        early["all_voted"] = True
    topic_event_append(topic=proposal.topic, kind="proposal.closed", data={"id": proposal.id, **final, **early})
    topic_state_changed(proposal.topic)
    proposal_result_notify(proposal)
    proposal_resolved.send(sender=Proposal, proposal=proposal)
    if _public(proposal):
        news = {
            "id": proposal.id,
            "title": proposal.title,
            "result": proposal.result,
            "total": proposal.total,
            "closed_at": now.isoformat(),
        }
        commune_news_append(insee=proposal.commune_id, kind="commune.proposal_closed", data=news)


@user_write("proposal_archive", signed_out="sign in first")
def proposal_archive(*, user, proposal_id: int, ref: str | None = None) -> dict:
    """The author or a room owner/moderator archives a proposal; voting stops; publishes
    `proposal.archived`. A resolved proposal keeps its result. Returns {id, phase}."""
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user)
    allowed = proposal.author_id == user.id or user.is_staff
    if not allowed and proposal.room_id is not None:
        allowed = room_moderated_by(room=proposal.room, user=user)
    if not allowed:
        raise AppError("forbidden", "only the author or the room's moderators archive a proposal")
    locked = proposal_row_locked(proposal_id)
    if locked.phase != Proposal.ARCHIVED:
        locked.phase = Proposal.ARCHIVED
        locked.archived_at = timezone.now()
        locked.state_version += 1
        locked.save(update_fields=["phase", "archived_at", "state_version"])
        if locked.anonymous:
            secret_ballots_unlink(proposal=locked)
        topic_event_append(
            topic=locked.topic, kind="proposal.archived", data={"id": locked.id, "result": locked.result or None}
        )
        topic_state_changed(locked.topic)
    return {"id": locked.id, "phase": locked.phase}
