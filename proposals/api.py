"""HTTP side of proposals (PROTOCOL.md §5): the same services as the socket's `vote` / `amend`."""

from __future__ import annotations

import io
import json
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from accounts.api import request_user
from events.exports import SafeCsvWriter
from proposals import selectors, services
from proposals.inputs import AmendmentIn, ExtendIn, ProposalIn, ReopenIn, ReviseIn, ScheduleIn, VoteIn
from proposals.models import Proposal
from realtime.auth import signed_in
from realtime.errors import AppError
from realtime.schemas import Ref

router = Router(tags=["proposals"])


class Created(Schema):
    id: int
    topic: str


class AmendmentOut(Schema):
    id: int
    author: str | None
    body: str
    status: str
    counts: dict[str, int] | None
    total: int
    my_vote: str | None = None


class ProposalSummary(Schema):
    id: int
    topic: str
    title: str
    phase: str
    result: str | None
    room: int | None
    event: int | None
    commune: str | None
    closes_at: str
    total: int


class ProposalOut(ProposalSummary):
    body: str
    arguments_for: str
    arguments_against: str
    author: str | None
    options: list[dict] = Field(description="[{key, label}] (meeting: also starts_at, ends_at)")
    multiple_choice: bool
    kind: str
    ballot_rules: dict
    majority: int
    quorum: dict
    eligibility: str
    anonymous: bool
    can_change: bool
    hide_results: bool
    amendable_until: str | None
    opened_at: str | None
    closed_at: str | None
    amendments: list[AmendmentOut]
    tally: dict
    my_vote: str | None
    my_ballot: dict | None
    may_vote: bool
    may_manage: bool
    spawned_event: int | None
    hidden: bool
    may_moderate: bool


class ProposalList(Schema):
    items: list[ProposalSummary]


class WriteOut(Schema):
    id: int
    seq: int


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _summary(proposal: Proposal) -> dict:
    return {
        "id": proposal.id,
        "topic": proposal.topic,
        "title": proposal.title,
        "tags": proposal.tags,
        "phase": proposal.phase,
        "result": proposal.result or None,
        "room": proposal.room_id,
        "event": proposal.event_id,
        "commune": proposal.commune_id,
        "closes_at": proposal.closes_at.isoformat(),
        "total": proposal.total,
    }


def _amendments(proposal: Proposal, user, hidden: bool) -> list[dict]:
    return [
        {
            "id": amendment.id,
            "author": amendment.author.username if amendment.author else None,
            "body": amendment.body,
            "status": amendment.status,
            "counts": None if hidden else amendment.counts,
            "total": amendment.total,
            "my_vote": selectors.amendment_choice_of(amendment=amendment, proposal=proposal, user=user),
        }
        for amendment in proposal.amendments.select_related("author")
    ]


def _detail(proposal: Proposal, user) -> dict:
    hidden = selectors.results_hidden(proposal)
    return {
        **_summary(proposal),
        "body": proposal.body,
        "arguments_for": proposal.arguments_for,
        "arguments_against": proposal.arguments_against,
        "author": proposal.author.username if proposal.author else None,
        "options": proposal.options,
        "multiple_choice": proposal.multiple_choice,
        "kind": proposal.kind,
        "ballot_rules": {
            "min_choices": proposal.min_choices,
            "max_choices": proposal.max_choices,
            "scale_min": proposal.scale_min,
            "scale_max": proposal.scale_max,
            "points": proposal.points_budget,
        },
        "majority": proposal.majority,
        "quorum": {"votes": proposal.quorum_votes, "share": proposal.quorum_share},
        "eligibility": proposal.eligibility,
        "anonymous": proposal.anonymous,
        "can_change": proposal.can_change,
        "hide_results": proposal.hide_results,
        "amendable_until": _iso(proposal.amendable_until),
        "opened_at": _iso(proposal.opened_at),
        "closed_at": _iso(proposal.closed_at),
        "amendments": _amendments(proposal, user, hidden),
        "tally": selectors.proposal_tally(proposal),
        "my_vote": selectors.vote_choice_of(proposal=proposal, user=user),
        "my_ballot": selectors.vote_ballot_of(proposal=proposal, user=user),
        "may_vote": selectors.user_eligible(proposal=proposal, user=user),
        "may_manage": signed_in(user) and services.may_close(proposal, user),
        "spawned_event": proposal.spawned_event_id,
        # Hidden by reports (or removed by the room's vote): only its moderators read it at all.
        "hidden": proposal.hidden_at is not None,
        "may_moderate": selectors.proposal_moderated_by(proposal=proposal, user=user),
    }


@router.post("", response={201: Created}, summary="Make a proposal in a room, an event or a commune")
def proposal_create(request: HttpRequest, payload: ProposalIn):
    return 201, services.proposal_create(author=request_user(request), proposal=payload, ref=payload.ref)


@router.get(
    "", response=ProposalList, summary="Proposals you may read, filtered by commune, room, event, phase or result"
)
def proposal_list(
    request: HttpRequest,
    commune: str | None = None,
    room: int | None = None,
    event: int | None = None,
    phase: str | None = None,
    result: str | None = None,
    limit: int = 50,
    offset: int = 0,
):
    if not 1 <= limit <= 200 or offset < 0:
        raise AppError("bad_request", "limit must be 1-200 and offset >= 0")
    proposals = selectors.proposal_list(
        user=request_user(request), commune=commune, room=room, event=event, phase=phase, result=result
    )
    return {"items": [_summary(p) for p in proposals[offset : offset + limit]]}


@router.get(
    "/{proposal_id}", response=ProposalOut, summary="A proposal, its ballot, amendments, tally and your own vote"
)
def proposal_detail(request: HttpRequest, proposal_id: int):
    user = request_user(request)
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user)
    return _detail(proposal, user)


@router.post("/{proposal_id}/vote", summary="Vote (same path as the socket's `vote`); `ref` makes a resend harmless")
def vote(request: HttpRequest, proposal_id: int, payload: VoteIn):
    return services.vote_cast(
        user=request_user(request), proposal_id=proposal_id, ballot=payload.ballot, ref=payload.ref
    )


@router.get("/{proposal_id}/amendments", response=list[AmendmentOut])
def amendment_list(request: HttpRequest, proposal_id: int):
    user = request_user(request)
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=user)
    return _amendments(proposal, user, selectors.results_hidden(proposal))


@router.post(
    "/{proposal_id}/amendments",
    response={201: WriteOut},
    summary="Propose an amendment while the proposal is amendable",
)
def amendment_propose(request: HttpRequest, proposal_id: int, payload: AmendmentIn):
    return 201, services.amendment_propose(
        author=request_user(request), proposal_id=proposal_id, body=payload.body, ref=payload.ref
    )


@router.post("/{proposal_id}/amendments/{amendment_id}/vote", summary="Vote up / down / white on an amendment")
def amendment_vote(request: HttpRequest, proposal_id: int, amendment_id: int, payload: VoteIn):
    return services.amendment_vote_cast(
        user=request_user(request),
        proposal_id=proposal_id,
        amendment_id=amendment_id,
        choice=payload.choice,
        ref=payload.ref,
    )


@router.post(
    "/{proposal_id}/archive", response=ProposalOut, summary="Archive (author or room moderators); voting stops"
)
def archive(request: HttpRequest, proposal_id: int, ref: Ref | None = None):
    """`ref` (a query parameter: the body may be empty) makes a resend harmless."""
    user = request_user(request)
    services.proposal_archive(user=user, proposal_id=proposal_id, ref=ref)
    return _detail(selectors.proposal_get_readable(proposal_id=proposal_id, user=user), user)


@router.post(
    "/{proposal_id}/close", summary="Close the vote now (author, room moderators, event organisers); result at once"
)
def close_now(request: HttpRequest, proposal_id: int, ref: Ref | None = None, reason: str = ""):
    """`ref` (a query parameter: the body may be empty) makes a resend harmless; `reason` (≤ 1000) says why."""
    return services.proposal_close_now(user=request_user(request), proposal_id=proposal_id, reason=reason, ref=ref)


@router.post("/{proposal_id}/extend", summary="Give an open vote more time, with a reason (author, moderators)")
def extend(request: HttpRequest, proposal_id: int, payload: ExtendIn):
    return services.proposal_extend(
        user=request_user(request),
        proposal_id=proposal_id,
        closes_at=payload.closes_at,
        reason=payload.reason,
        ref=payload.ref,
    )


@router.post("/{proposal_id}/reopen", summary="Open a closed vote again, with a reason (author, moderators)")
def reopen(request: HttpRequest, proposal_id: int, payload: ReopenIn):
    return services.proposal_reopen(
        user=request_user(request),
        proposal_id=proposal_id,
        closes_at=payload.closes_at,
        reason=payload.reason,
        ref=payload.ref,
    )


@router.post("/{proposal_id}/revise", summary="Consent: the author revises the text; standing blocks are lifted")
def revise(request: HttpRequest, proposal_id: int, payload: ReviseIn):
    return services.proposal_revise(
        user=request_user(request), proposal_id=proposal_id, body=payload.body, reason=payload.reason, ref=payload.ref
    )


@router.post("/{proposal_id}/schedule", summary="Meeting time: the chosen slot becomes an event, once")
def schedule(request: HttpRequest, proposal_id: int, payload: ScheduleIn):
    return services.proposal_schedule(
        user=request_user(request),
        proposal_id=proposal_id,
        slot=payload.slot,
        address=payload.address,
        ref=payload.ref,
    )


@router.get("/{proposal_id}/votes", summary="Who chose what — public ballots only, once results are visible")
def votes(request: HttpRequest, proposal_id: int):
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=request_user(request))
    return {"items": selectors.proposal_public_votes(proposal)}


@router.get("/{proposal_id}/export", summary="CSV: the tally; plus who chose what on public ballots")
def export(request: HttpRequest, proposal_id: int):
    proposal = selectors.proposal_get_readable(proposal_id=proposal_id, user=request_user(request))
    state = selectors.proposal_tally(proposal)
    out = io.StringIO()
    # Every cell through csv_cell: titles, labels and usernames are user text.
    writer = SafeCsvWriter(out)
    writer.writerow(["proposal", proposal.id, proposal.title])
    writer.writerow(["phase", proposal.phase, "result", proposal.result or ""])
    writer.writerow(["total", state["total"], "eligible", "" if state["eligible"] is None else state["eligible"]])
    writer.writerow([])
    writer.writerow(["option", "label", "points" if proposal.kind in ("score", "dot") else "votes"])
    for option in proposal.options:
        count = "" if state["counts"] is None else state["counts"][option["key"]]
        writer.writerow([option["key"], option["label"], count])
    if not proposal.anonymous and not state["hidden"]:
        writer.writerow([])
        writer.writerow(["voter", "choice", "ballot"])
        for row in selectors.proposal_public_votes(proposal):
            ballot = json.dumps(row["ballot"], ensure_ascii=False) if "ballot" in row else ""
            writer.writerow([row["voter"], row["choice"], ballot])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="proposal-{proposal.id}.csv"'
    return response
