"""Reads of co-moderation: who judges a scope's reports (a room, or a commune for its
commune-wide proposals), its queue (the hidden texts, for those who vote on them only), its
audit log and settings (moderators, referents), one's own decided items."""

from __future__ import annotations

from accounts.selectors import DELETED_USER
from communes.models import Commune
from communes.selectors import commune_get
from debates.selectors import question_by_id
from discussions.models import Room
from discussions.selectors import message_by_id, room_get_readable, room_moderated_by
from moderation.models import POLICY_FIELDS, AuditEntry, Case, Report, RoomPolicy, Trusted
from moderation.scope import Scope
from proposals.selectors import proposal_by_id
from realtime.auth import signed_in
from realtime.errors import AppError

LIST_MAX = 200


def _name(user) -> str | None:
    return None if user is None else (user.username if user.is_active else DELETED_USER)


def room_trusts(*, room_id: int, user) -> bool:
    return signed_in(user) and Trusted.objects.filter(room_id=room_id, user=user).exists()


def room_for_judges(*, room_id: int, user) -> Room:
    """The room, if `user` moderates it or is trusted there (they vote on its reports)."""
    room = room_get_readable(room_id=room_id, user=user)
    if not signed_in(user):
        raise AppError("auth_required", "sign in first")
    if not (user.is_staff or room_moderated_by(room=room, user=user) or room_trusts(room_id=room.id, user=user)):
        raise AppError("forbidden", "only the room's moderators and trusted members see its moderation queue")
    return room


def room_roles_of(*, room_id: int, user) -> dict:
    """What `user` does in the room's moderation (the client shows its screens from this)."""
    room = room_get_readable(room_id=room_id, user=user)
    moderator = signed_in(user) and (user.is_staff or room_moderated_by(room=room, user=user))
    judge = moderator or room_trusts(room_id=room.id, user=user)
    return {"room": room.id, "moderator": bool(moderator), "judge": bool(judge)}


def commune_for_judges(*, insee: str, user) -> Commune:
    """The commune, if `user` is one of its referents (or staff): they judge reports of its
    commune-wide proposals. Checked on every request, so a referent who loses the role loses
    the queue at once."""
    commune = commune_get(insee=insee)
    if not signed_in(user):
        raise AppError("auth_required", "sign in first")
    if not Scope(commune_id=commune.insee).judged_by(user):
        raise AppError("forbidden", "only the commune's referents see its moderation queue")
    return commune


def commune_roles_of(*, insee: str, user) -> dict:
    """What `user` does in the commune's moderation (referents judge and read the audit log)."""
    commune = commune_get(insee=insee)
    judge = Scope(commune_id=commune.insee).judged_by(user)
    referents = Scope(commune_id=commune.insee).judges()
    return {"commune": commune.insee, "moderator": judge, "judge": judge, "judges": len(referents)}


def room_for_moderators(*, room_id: int, user) -> Room:
    room = room_get_readable(room_id=room_id, user=user)
    if not signed_in(user):
        raise AppError("auth_required", "sign in first")
    if not (user.is_staff or room_moderated_by(room=room, user=user)):
        raise AppError("forbidden", "only the room's owners and moderators see this")
    return room


def _item_text(case: Case) -> tuple[str, str | None]:
    """(text, author) of the reported item, as it is now (empty once removed)."""
    if case.kind == "message":
        message = message_by_id(case.item)
        return ("", None) if message is None else (message.body, _name(message.author))
    if case.kind == "proposal":
        proposal = proposal_by_id(case.item)
        if proposal is None:
            return "", None
        return "\n\n".join(part for part in (proposal.title, proposal.body) if part), _name(proposal.author)
    question = question_by_id(case.item)
    return ("", None) if question is None else (question.body, _name(question.author))


def case_as_dict(case: Case, *, with_text: bool) -> dict:
    reports = Report.objects.filter(kind=case.kind, item=case.item)
    data = {
        "id": case.id,
        "kind": case.kind,
        "item": case.item,
        "room": case.room_id,
        "commune": case.commune_id,
        "status": case.status,
        "reports": reports.count(),
        "reasons": list(reports.values_list("reason", flat=True)[:50]),
        "proposal": case.proposal_id,
        "topic": f"proposal:{case.proposal_id}",
        "closes_at": case.proposal.closes_at.isoformat(),
        "opened_at": case.opened_at.isoformat(),
        "decided_at": case.decided_at.isoformat() if case.decided_at else None,
        "decision": case.decision,
    }
    if with_text:
        data["text"], data["author"] = _item_text(case)
    return data


def scope_queue(scope: Scope, *, status: str = Case.OPEN) -> list[dict]:
    cases = Case.objects.filter(status=status, **scope.fields).select_related("proposal")[:LIST_MAX]
    return [case_as_dict(case, with_text=True) for case in cases]


def room_queue(room: Room, *, status: str = Case.OPEN) -> list[dict]:
    return scope_queue(Scope(room_id=room.id), status=status)


def room_audit(room: Room) -> list[dict]:
    return scope_audit(Scope(room_id=room.id))


def scope_audit(scope: Scope) -> list[dict]:
    entries = AuditEntry.objects.filter(**scope.fields).select_related("actor", "subject")[:LIST_MAX]
    return [
        {
            "action": entry.action,
            "actor": _name(entry.actor),
            "subject": _name(entry.subject),
            "kind": entry.kind or None,
            "item": entry.item,
            "reason": entry.reason,
            "details": entry.details,
            "at": entry.at.isoformat(),
        }
        for entry in entries
    ]


def commune_settings(*, insee: str, user) -> dict:
    """A commune's moderation rule (its referents, staff): the defaults until one of them sets it."""
    commune = commune_for_judges(insee=insee, user=user)
    policy = Scope(commune_id=commune.insee).policy()
    return {"commune": commune.insee} | {field: getattr(policy, field) for field in POLICY_FIELDS}


def room_settings(room: Room) -> dict:
    policy = RoomPolicy.objects.filter(room=room).first() or RoomPolicy(room=room)
    sanctions = room.sanctions.select_related("user").order_by("-created_at")
    return {
        "room": room.id,
        "report_threshold": policy.report_threshold,
        "vote_threshold": policy.vote_threshold,
        "vote_hours": policy.vote_hours,
        "trusted": sorted(_name(t.user) for t in Trusted.objects.filter(room=room).select_related("user")),
        "sanctions": [
            {"user": _name(s.user), "kind": s.kind, "reason": s.reason, "at": s.created_at.isoformat()}
            for s in sanctions
        ],
    }


def cases_about(user) -> list[dict]:
    """Decisions on what `user` wrote, with why (they are told the outcome and its reasons)."""
    if not signed_in(user):
        raise AppError("auth_required", "sign in first")
    cases = Case.objects.filter(author=user).select_related("proposal")[:LIST_MAX]
    return [case_as_dict(case, with_text=False) for case in cases]
