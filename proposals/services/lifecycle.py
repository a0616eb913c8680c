"""Creating a proposal and moving it through its phases: open, close (scheduler), archive."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from communes.selectors import commune_get
from discussions.models import Membership
from discussions.selectors import room_get_readable, room_role
from proposals import selectors, tally
from proposals.models import Amendment, Proposal
from proposals.notices import proposal_opened_notify, proposal_result_notify
from proposals.services.common import (
    ARGUMENTS_MAX,
    BODY_MAX,
    CHOICE_LABEL_MAX,
    DEFAULT_VOTING_PERIOD,
    QUORUM_SHARE,
    TITLE_MAX,
    proposal_row_locked,
    text_clean,
)
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise AppError("bad_request", f"{field} must be true or false")
    return value


def _options(choices: object) -> tuple[list[dict], bool]:
    """(ballot options, multiple_choice) from the optional list of custom labels."""
    if choices is None:
        return [dict(option) for option in tally.FOURWAY_OPTIONS], False
    if not isinstance(choices, list) or not 2 <= len(choices) <= 20:
        raise AppError("bad_request", "choices must be a list of 2 to 20 labels")
    labels = [text_clean(label, "each choice", max_length=CHOICE_LABEL_MAX) for label in choices]
    if len({label.casefold() for label in labels}) != len(labels):
        raise AppError("bad_request", "choices must be distinct")
    return [{"key": f"c{index}", "label": label} for index, label in enumerate(labels, start=1)], True


def _quorum(quorum: object) -> tuple[int | None, int | None]:
    """(minimum votes, minimum percent of eligible voters) from `quorum`: an integer or "NN%"."""
    if quorum is None:
        return None, None
    if isinstance(quorum, int) and not isinstance(quorum, bool):
        if quorum < 1:
            raise AppError("bad_request", "quorum must be at least 1 vote")
        return quorum, None
    if isinstance(quorum, str):
        match = QUORUM_SHARE.match(quorum)
        if match and 1 <= int(match.group(1)) <= 100:
            return None, int(match.group(1))
    raise AppError("bad_request", 'quorum is a number of votes (e.g. 20) or a share of eligible voters (e.g. "25%")')


def _when(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise AppError("bad_request", f"{field} must be a date-time")
    if timezone.is_naive(value):
        raise AppError("bad_request", f"{field} needs a time zone (e.g. 2026-12-01T18:00:00+04:00)")
    return value


def proposal_create(
    *,
    author,
    title: str,
    body: str,
    arguments_for: str = "",
    arguments_against: str = "",
    room_id: int | None = None,
    event_id: int | None = None,
    commune_insee: str | None = None,
    choices: list[str] | None = None,
    majority: int = 50,
    quorum: int | str | None = None,
    closes_at: datetime | None = None,
    amendable_until: datetime | None = None,
    eligibility: str = Proposal.SIGNED_IN,
    anonymous: bool = False,
    can_change: bool = True,
    hide_results: bool = False,
) -> Proposal:
    """Open a proposal in a room, an event or a commune the author may read.

    Without `amendable_until` the vote opens at once (publishes `proposal.opened`); otherwise
    the scheduler opens it at that date, after resolving the amendments.
    """
    if author is None or not author.is_authenticated:
        raise AppError("auth_required", "sign in to make a proposal")
    title = text_clean(title, "title", max_length=TITLE_MAX)
    body = text_clean(body, "body", max_length=BODY_MAX)
    arguments_for = text_clean(arguments_for, "arguments_for", max_length=ARGUMENTS_MAX, required=False)
    arguments_against = text_clean(arguments_against, "arguments_against", max_length=ARGUMENTS_MAX, required=False)
    options, multiple_choice = _options(choices)
    if not isinstance(majority, int) or isinstance(majority, bool) or not 50 <= majority <= 100:
        raise AppError("bad_request", "majority must be a whole percentage between 50 and 100")
    quorum_votes, quorum_share = _quorum(quorum)
    if eligibility not in dict(Proposal.ELIGIBILITIES):
        raise AppError("bad_request", f"eligibility must be one of {', '.join(dict(Proposal.ELIGIBILITIES))}")
    anonymous = _flag(anonymous, "anonymous")
    can_change = _flag(can_change, "can_change")
    hide_results = _flag(hide_results, "hide_results")

    room = commune = event = None
    if room_id is not None and event_id is not None:
        raise AppError("bad_request", "a proposal belongs to a room or an event, not both")
    if room_id is not None:
        room = room_get_readable(room_id=room_id, user=author, private_as="forbidden")
        commune = room.commune
    if event_id is not None:
        selectors.event_readable(event_id=event_id, user=author)
        event = selectors.event_lookup(event_id)
        commune = event.commune
    if commune_insee is not None:
        commune = commune_get(insee=commune_insee)
    if room is None and event is None and commune is None:
        raise AppError("bad_request", "a proposal belongs to a room, an event or a commune")
    if eligibility == Proposal.MEMBERS and room is None:
        raise AppError("bad_request", "eligibility 'members' needs a room")
    if eligibility == Proposal.PRESENT and event is None:
        raise AppError("bad_request", "eligibility 'present' needs an event")
    if eligibility == Proposal.RESIDENTS and commune is None:
        raise AppError("bad_request", "eligibility 'residents' needs a commune")
    if quorum_share is not None and eligibility == Proposal.SIGNED_IN:
        raise AppError("bad_request", "a quorum share needs a known electorate (members, present or residents)")

    now = timezone.now()
    closes_at = _when(closes_at, "closes_at")
    amendable_until = _when(amendable_until, "amendable_until")
    if amendable_until is not None and amendable_until <= now:
        raise AppError("bad_request", "amendable_until must be in the future")
    opens_at = amendable_until or now
    if closes_at is None:
        closes_at = opens_at + DEFAULT_VOTING_PERIOD
    if closes_at <= opens_at:
        raise AppError("bad_request", "closes_at must be after the vote opens (now, or amendable_until)")

    with transaction.atomic():
        proposal = Proposal.objects.create(
            title=title,
            body=body,
            arguments_for=arguments_for,
            arguments_against=arguments_against,
            author=author,
            room=room,
            event=event,
            commune=commune,
            options=options,
            multiple_choice=multiple_choice,
            majority=majority,
            quorum_votes=quorum_votes,
            quorum_share=quorum_share,
            eligibility=eligibility,
            anonymous=anonymous,
            can_change=can_change,
            hide_results=hide_results,
            phase=Proposal.AMENDABLE if amendable_until else Proposal.TOVOTE,
            amendable_until=amendable_until,
            closes_at=closes_at,
            opened_at=None if amendable_until else now,
            counts={key: 0 for key in (option["key"] for option in options)},
            state_version=1,
        )
        if proposal.phase == Proposal.TOVOTE:
            _opened_publish(proposal, amendments=[])
    return proposal


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
        proposal.phase = Proposal.TOVOTE
        proposal.opened_at = now
        if proposal.closes_at <= now:
            proposal.closes_at = now + DEFAULT_VOTING_PERIOD
        proposal.state_version += 1
        proposal.save(update_fields=["phase", "opened_at", "closes_at", "state_version"])
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


def _close(proposal: Proposal, now: datetime) -> None:
    eligible = selectors.eligible_count(proposal)
    outcome = selectors.proposal_outcome_provisional(proposal, eligible)
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
    topic_event_append(topic=proposal.topic, kind="proposal.closed", data={"id": proposal.id, **final})
    topic_state_changed(proposal.topic)
    proposal_result_notify(proposal)


def proposal_archive(*, user, proposal_id: int) -> Proposal:
    """The author or a room owner/moderator archives a proposal; voting stops; publishes
    `proposal.archived`. A resolved proposal keeps its result."""
    if user is None or not user.is_authenticated:
        raise AppError("auth_required", "sign in first")
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user, private_as="forbidden")
    allowed = proposal.author_id == user.id or user.is_staff
    if not allowed and proposal.room_id is not None:
        allowed = room_role(room=proposal.room, user=user) in (Membership.OWNER, Membership.MODERATOR)
    if not allowed:
        raise AppError("forbidden", "only the author or the room's moderators archive a proposal")
    with transaction.atomic():
        locked = proposal_row_locked(proposal_id)
        if locked.phase == Proposal.ARCHIVED:
            return locked
        locked.phase = Proposal.ARCHIVED
        locked.archived_at = timezone.now()
        locked.state_version += 1
        locked.save(update_fields=["phase", "archived_at", "state_version"])
        topic_event_append(
            topic=locked.topic, kind="proposal.archived", data={"id": locked.id, "result": locked.result or None}
        )
        topic_state_changed(locked.topic)
    return locked
