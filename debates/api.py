"""HTTP side of debate mode under /api/debates/<room id>: the same services as the socket."""

from __future__ import annotations

import csv
import io
from typing import Literal

import segno
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from accounts.api import request_user, user_required
from debates import selectors, services
from debates.services.questions import REASON_MAX
from proposals.inputs import ProposalIn
from realtime.errors import AppError

router = Router(tags=["debates"])


class RefIn(Schema):
    ref: str | None = Field(None, max_length=64)


class QuestionIn(RefIn):
    body: str = Field(min_length=1, max_length=services.QUESTION_MAX)
    anonymous: bool = False


class ModerateIn(RefIn):
    action: Literal["approve", "pin", "unpin", "answer", "hide", "merge"]
    reason: str = Field("", max_length=REASON_MAX)
    into: int | None = None


class LowerIn(RefIn):
    user: str | None = Field(None, max_length=150)


class NextIn(RefIn):
    current: int | None = Field(None, ge=0, description="the turn id you see (0: nobody); conflict if it moved")


class GiveIn(NextIn):
    user: str = Field(min_length=1, max_length=150)


class ConfigureIn(RefIn):
    premoderation: bool | None = None
    turn_limit: int | None = Field(None, ge=1, le=3600)
    clear_turn_limit: bool = False
    auto_end: bool | None = None
    fairness: Literal["arrival", "not_spoken", "least_time"] | None = None


def _debate(request: HttpRequest, room_id: int):
    user = request_user(request)
    return user, selectors.debate_readable(room_id=room_id, user=user)


@router.get("/{room_id}", summary="Debate settings, topics, your role, your questions and upvotes")
def debate_detail(request: HttpRequest, room_id: int):
    user, debate = _debate(request, room_id)
    signed_in = user is not None
    return {
        **selectors.debate_as_dict(debate),
        "moderator": selectors.is_moderator(room=debate.room, user=user),
        "mine": selectors.questions_of_author(debate=debate, user=user) if signed_in else [],
        "upvoted": selectors.upvoted_ids(debate=debate, user=user) if signed_in else [],
    }


@router.patch("/{room_id}", summary="Moderators: pre-moderation, turn limit, self-ending turns, fairness order")
def debate_configure(request: HttpRequest, room_id: int, payload: ConfigureIn):
    user = request_user(request)
    return services.debate_configure(user=user, room_id=room_id, **payload.dict())


@router.get("/{room_id}/questions", summary="The ranking; `view=moderation` for moderators (every question)")
def questions(request: HttpRequest, room_id: int, view: Literal["public", "moderation"] = "public"):
    user, debate = _debate(request, room_id)
    if view == "moderation":
        selectors.moderator_required(room=debate.room, user=user)
        return selectors.questions_moderation(room_id)
    return selectors.questions_public(room_id)


@router.post("/{room_id}/questions", response={201: dict}, summary="Ask a question (same path as the socket's `ask`)")
def question_ask(request: HttpRequest, room_id: int, payload: QuestionIn):
    user = request_user(request)
    return 201, services.question_ask(
        author=user, room_id=room_id, body=payload.body, anonymous=payload.anonymous, ref=payload.ref
    )


@router.post("/{room_id}/questions/{question_id}/upvote", summary="Upvote (one per person)")
def question_upvote(request: HttpRequest, room_id: int, question_id: int, payload: RefIn):
    user = request_user(request)
    return services.question_upvote(user=user, room_id=room_id, question_id=question_id, ref=payload.ref)


@router.post("/{room_id}/questions/{question_id}/unvote", summary="Withdraw one's upvote")
def question_unvote(request: HttpRequest, room_id: int, question_id: int, payload: RefIn):
    user = request_user(request)
    return services.question_unvote(user=user, room_id=room_id, question_id=question_id, ref=payload.ref)


@router.post("/{room_id}/questions/{question_id}/moderate", summary="Moderators: approve, pin, answer, hide, merge")
def question_moderate(request: HttpRequest, room_id: int, question_id: int, payload: ModerateIn):
    user = request_user(request)
    return services.question_moderate(user=user, room_id=room_id, question_id=question_id, **payload.dict())


@router.get("/{room_id}/queue", summary="The floor: current turn and waiting hands in order")
def queue(request: HttpRequest, room_id: int):
    _debate(request, room_id)
    return selectors.queue_snapshot(room_id)


@router.post("/{room_id}/hand", summary="Raise your hand")
def hand_raise(request: HttpRequest, room_id: int, payload: RefIn):
    return services.hand_raise(user=request_user(request), room_id=room_id, ref=payload.ref)


@router.post("/{room_id}/hand/lower", summary="Lower your hand (moderators: anyone's, with `user`)")
def hand_lower(request: HttpRequest, room_id: int, payload: LowerIn):
    return services.hand_lower(user=request_user(request), room_id=room_id, username=payload.user, ref=payload.ref)


@router.post("/{room_id}/floor/next", summary="Moderators: give the floor to the next in the queue")
def floor_next(request: HttpRequest, room_id: int, payload: NextIn):
    return services.floor_next(user=request_user(request), room_id=room_id, current=payload.current, ref=payload.ref)


@router.post("/{room_id}/floor/give", summary="Moderators: give the floor to someone in the queue")
def floor_give(request: HttpRequest, room_id: int, payload: GiveIn):
    return services.floor_give(
        user=request_user(request), room_id=room_id, username=payload.user, current=payload.current, ref=payload.ref
    )


@router.post("/{room_id}/floor/end", summary="Moderators (or the speaker): end the current turn")
def floor_end(request: HttpRequest, room_id: int, payload: RefIn):
    return services.floor_end(user=request_user(request), room_id=room_id, ref=payload.ref)


@router.post("/{room_id}/votes", response={201: dict}, summary="Moderators: open a quick vote shown on the big screen")
def vote_open(request: HttpRequest, room_id: int, payload: ProposalIn):
    """The body of POST /api/proposals; `room`, `event` and `commune` are decided by the debate."""
    return 201, services.debate_vote_open(
        user=request_user(request), room_id=room_id, proposal=payload, ref=payload.ref
    )


@router.get("/{room_id}/speaking.csv", summary="Moderators: speaking time and turns per person (CSV)")
def speaking_csv(request: HttpRequest, room_id: int):
    user = user_required(request)
    _, debate = _debate(request, room_id)
    selectors.moderator_required(room=debate.room, user=user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["user", "turns", "seconds"])
    for row in selectors.speaking_report(debate):
        writer.writerow([row["user"], row["turns"], row["seconds"]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="speaking-room-{room_id}.csv"'
    return response


@router.get("/{room_id}/qr.svg", summary="QR code pointing participants to the room's page (for the big screen)")
def qr_code(request: HttpRequest, room_id: int):
    _debate(request, room_id)
    url = request.build_absolute_uri(f"/#/room/{room_id}")
    if len(url) > 500:
        raise AppError("bad_request", "host name too long for a QR code")
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, dark="#000", light="#fff", xmldecl=False)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=3600"
    return response
