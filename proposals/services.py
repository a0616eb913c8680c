"""Writes on proposals: create, vote, amend, open, close, archive.

Every write that moves a count locks the proposal row (select_for_update) first, so votes on
one proposal, its opening and its closing are serialised there: the phase a vote checks is
the phase it commits under, and counts, totals and `state_version` move together.
Lock order is always proposal row, then topic row (topic_event_append), never the reverse.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from communes.models import Commune
from discussions.models import Membership
from discussions.selectors import room_get_readable, room_role
from proposals import selectors, tally
from proposals.ballots import seal_make, seal_open
from proposals.models import Amendment, AmendmentVote, Proposal, Vote
from realtime.errors import AppError
from realtime.idempotency import write_once
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed

TITLE_MAX = 200
BODY_MAX = 20_000
ARGUMENTS_MAX = 10_000
CHOICE_LABEL_MAX = 200
AMENDMENT_MAX = 4000
DEFAULT_VOTING_PERIOD = timedelta(days=7)
QUORUM_SHARE = re.compile(r"^\s*(\d{1,3})\s*%\s*$")


def _text(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise AppError("bad_request", f"{field} must be a string")
    value = value.strip()
    if required and not value:
        raise AppError("bad_request", f"{field} must not be empty")
    if len(value) > max_length:
        raise AppError("bad_request", f"{field} is limited to {max_length} characters")
    return value


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
    labels = [_text(label, "each choice", max_length=CHOICE_LABEL_MAX) for label in choices]
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
    title = _text(title, "title", max_length=TITLE_MAX)
    body = _text(body, "body", max_length=BODY_MAX)
    arguments_for = _text(arguments_for, "arguments_for", max_length=ARGUMENTS_MAX, required=False)
    arguments_against = _text(arguments_against, "arguments_against", max_length=ARGUMENTS_MAX, required=False)
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
        commune = Commune.objects.filter(insee=commune_insee).first()
        if commune is None:
            raise AppError("not_found", f"no commune with INSEE code {commune_insee!r}")
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


# --- votes ---------------------------------------------------------------------------------


def _locked(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(id=proposal_id).first()
    if proposal is None:
        raise AppError("not_found", f"proposal {proposal_id} does not exist")
    return proposal


def _voting_open_check(proposal: Proposal, now: datetime) -> None:
    if proposal.phase == Proposal.AMENDABLE:
        raise AppError("conflict", "voting has not opened yet: the proposal is still open to amendments")
    if proposal.phase != Proposal.TOVOTE or proposal.closes_at <= now:
        raise AppError("conflict", "voting is closed on this proposal")


def _voter_check(*, user, proposal_id: int) -> Proposal:
    if user is None or not user.is_authenticated:
        raise AppError("auth_required", "sign in to vote")
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user, private_as="forbidden")
    selectors.user_eligible_check(proposal=proposal, user=user)
    return proposal


def _choice_check(choice: object, keys: list[str]) -> str:
    if not isinstance(choice, str) or choice not in keys:
        raise AppError("bad_request", f"choice must be one of: {', '.join(keys)}")
    return choice


def vote_cast(*, user, proposal_id: int, choice: str, ref: str | None = None) -> dict:
    """Cast or change `user`'s vote. One vote per person (unique constraint); a change needs
    `can_change`, else `conflict`; outside `tovote` (or past closes_at), `conflict`.

    Moves the counts under the proposal's row lock and marks the tally dirty. On a secret
    ballot the reply (and so the write receipt) does not carry the choice.
    """
    proposal = _voter_check(user=user, proposal_id=proposal_id)
    choice = _choice_check(choice, proposal.option_keys)

    def perform() -> dict:
        locked = _locked(proposal_id)
        _voting_open_check(locked, timezone.now())
        vote = Vote.objects.filter(proposal=locked, voter=user).first()
        old = None
        if vote is not None:
            old = (
                vote.choice
                if not locked.anonymous
                else seal_open(
                    scope="p", object_id=locked.id, voter_id=user.id, seal=vote.seal, keys=locked.option_keys
                )
            )
            if not locked.can_change:
                raise AppError("conflict", "you have already voted and this vote cannot be changed")
            if old is None:
                # Only if SECRET_KEY changed since the vote: moving counts blindly would corrupt them.
                raise AppError("conflict", "your earlier secret vote can no longer be matched; it stands as cast")
        counts = dict(locked.counts)
        changed = False
        if vote is None:
            # Under the proposal lock nobody else inserts this ballot; the unique constraint is the
            # backstop (an IntegrityError here rolls the whole vote back).
            Vote.objects.create(proposal=locked, voter=user, **_stored_choice(locked, user, choice))
            counts[choice] = counts.get(choice, 0) + 1
            locked.total += 1
            changed = True
        elif old != choice:
            for field, value in _stored_choice(locked, user, choice).items():
                setattr(vote, field, value)
            vote.save(update_fields=["choice", "seal"])
            counts[old] -= 1
            counts[choice] = counts.get(choice, 0) + 1
            changed = True
        if changed:
            locked.counts = counts
            locked.state_version += 1
            locked.save(update_fields=["counts", "total", "state_version"])
            topic_state_changed(locked.topic)
        result = {"proposal": locked.id, "voted": True, "changed": vote is not None and changed}
        if not locked.anonymous:
            result["choice"] = choice
        return result

    with transaction.atomic():
        return write_once(user=user, ref=ref, action="vote", perform=perform)


def _stored_choice(proposal: Proposal, user, choice: str) -> dict:
    if proposal.anonymous:
        return {"choice": "", "seal": seal_make(scope="p", object_id=proposal.id, voter_id=user.id, choice=choice)}
    return {"choice": choice, "seal": ""}


# --- amendments ----------------------------------------------------------------------------

AMENDMENT_KEYS = [option["key"] for option in tally.AMENDMENT_OPTIONS]


def _amending_open_check(proposal: Proposal, now: datetime) -> None:
    if proposal.phase != Proposal.AMENDABLE or (proposal.amendable_until and proposal.amendable_until <= now):
        raise AppError("conflict", "this proposal is not open to amendments")


def amendment_propose(*, author, proposal_id: int, body: str, ref: str | None = None) -> dict:
    """During `amendable`, an eligible voter proposes an amendment; publishes `amendment.proposed`."""
    body = _text(body, "body", max_length=AMENDMENT_MAX)
    _voter_check(user=author, proposal_id=proposal_id)

    def perform() -> dict:
        locked = _locked(proposal_id)
        _amending_open_check(locked, timezone.now())
        amendment = Amendment.objects.create(
            proposal=locked, author=author, body=body, counts={key: 0 for key in AMENDMENT_KEYS}
        )
        event = topic_event_append(
            topic=locked.topic,
            kind="amendment.proposed",
            data={"id": amendment.id, "author": author.username, "body": body},
        )
        locked.state_version += 1
        locked.save(update_fields=["state_version"])
        topic_state_changed(locked.topic)
        return {"id": amendment.id, "seq": event.seq}

    with transaction.atomic():
        return write_once(user=author, ref=ref, action="amend", perform=perform)


def amendment_vote_cast(*, user, proposal_id: int, amendment_id: int, choice: str, ref: str | None = None) -> dict:
    """Vote up / down / white on an amendment while the proposal is amendable; same rules as
    `vote_cast` (one vote per person, `can_change`, secret when the proposal is)."""
    _voter_check(user=user, proposal_id=proposal_id)
    choice = _choice_check(choice, AMENDMENT_KEYS)

    def perform() -> dict:
        locked = _locked(proposal_id)
        _amending_open_check(locked, timezone.now())
        amendment = Amendment.objects.filter(id=amendment_id, proposal=locked).first()
        if amendment is None:
            raise AppError("not_found", f"amendment {amendment_id} is not part of this proposal")
        vote = AmendmentVote.objects.filter(amendment=amendment, voter=user).first()
        stored = (
            {"choice": "", "seal": seal_make(scope="a", object_id=amendment.id, voter_id=user.id, choice=choice)}
            if locked.anonymous
            else {"choice": choice, "seal": ""}
        )
        counts = dict(amendment.counts)
        changed = False
        if vote is None:
            AmendmentVote.objects.create(amendment=amendment, voter=user, **stored)
            counts[choice] = counts.get(choice, 0) + 1
            amendment.total += 1
            changed = True
        else:
            if not locked.can_change:
                raise AppError("conflict", "you have already voted and this vote cannot be changed")
            old = (
                vote.choice
                if not locked.anonymous
                else seal_open(scope="a", object_id=amendment.id, voter_id=user.id, seal=vote.seal, keys=AMENDMENT_KEYS)
            )
            if old is None:
                raise AppError("conflict", "your earlier secret vote can no longer be matched; it stands as cast")
            if old != choice:
                vote.choice, vote.seal = stored["choice"], stored["seal"]
                vote.save(update_fields=["choice", "seal"])
                counts[old] -= 1
                counts[choice] = counts.get(choice, 0) + 1
                changed = True
        if changed:
            amendment.counts = counts
            amendment.save(update_fields=["counts", "total"])
            locked.state_version += 1
            locked.save(update_fields=["state_version"])
            topic_state_changed(locked.topic)
        result = {"proposal": locked.id, "amendment": amendment.id, "voted": True}
        if not locked.anonymous:
            result["choice"] = choice
        return result

    with transaction.atomic():
        return write_once(user=user, ref=ref, action="amendment_vote", perform=perform)


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
        locked = _locked(proposal_id)
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
