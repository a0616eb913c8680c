"""Writes of co-moderation: report an item, the case a report opens (item hidden, secret vote
among its scope's judges: a room's moderators and trusted members, or a commune's referents for a
commune-wide proposal — see moderation.scope), the decision when that vote closes, mute and ban,
trusted members, the room's policy. Every action lands in the scope's audit log.

Lock order: the scope's policy row first (reports of one scope queue there, so the count that
opens a case is exact and a case opens once), then the item's own rows and topics.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import user_by_username
from communes.selectors import commune_get
from debates.services import (
    question_reported_hide,
    question_reported_remove,
    question_reported_restore,
    question_visible_readable,
)
from discussions.selectors import message_in_room_readable, room_get_readable, room_moderated_by, room_role
from discussions.services import message_hide, message_remove, message_restore, room_sanction_set
from moderation.inputs import PolicyIn
from moderation.models import POLICY_FIELDS, AuditEntry, Case, Report, Trusted
from moderation.scope import Scope
from notifications.services import notify
from proposals.models import Proposal
from proposals.selectors import proposal_get_readable
from proposals.services import (
    proposal_open_for_electors,
    proposal_reported_hide,
    proposal_reported_remove,
    proposal_reported_restore,
)
from realtime.errors import AppError
from realtime.sequencing import topic_event_append
from realtime.writes import user_write

ITEM_WORDS = {"message": "message", "question": "question", "proposal": "proposal"}
# The vote's title and text (the community's language; the item's text is never copied here).
VOTE_TITLES = {
    "message": "Modération : retirer le message n° {id} ?",
    "question": "Modération : retirer la question n° {id} ?",
    "proposal": "Modération : retirer la proposition n° {id} ?",
}
_VOTE_RULE = (
    "Son texte et les raisons des signalements sont dans la file de modération {where}. "
    "Pour = retirer, Contre = garder ; il faut {threshold} % de Pour pour retirer."
)
VOTE_BODIES = {
    "message": "Plusieurs personnes ont signalé ce message : il est masqué jusqu'à la fin de ce vote secret. "
    + _VOTE_RULE,
    "question": "Plusieurs personnes ont signalé cette question : elle est masquée jusqu'à la fin de ce vote secret. "
    + _VOTE_RULE,
    "proposal": "Plusieurs personnes ont signalé cette proposition : elle est masquée jusqu'à la fin de ce vote secret. "
    + _VOTE_RULE,
}


def moderation_topic(room_id: int) -> str:
    """The moderators' topic of a room (debates.topics.ModerationTopic authorises it)."""
    return Scope(room_id=room_id).topic


def _item_resolve(kind: str, item_id: int, user) -> tuple[Scope, object]:
    """(scope, author) of an item `user` may read; `not_found` otherwise, worded as for an
    item that does not exist, so nobody learns what they may not read."""
    if kind == "message":
        message = message_in_room_readable(message_id=item_id, user=user)
        return Scope(room_id=message.room_id), message.author
    if kind == "question":
        question = question_visible_readable(question_id=item_id, user=user)
        return Scope(room_id=question.debate.room_id), question.author
    if kind == "proposal":
        return _proposal_resolve(item_id, user)
    raise AppError("bad_request", "kind must be message, question or proposal")


def _proposal_resolve(proposal_id: int, user) -> tuple[Scope, object]:
    """A proposal is judged in its room, or its event's room; a commune-wide one (no room, no
    event) by its commune's referents. A vote among named electors (a moderation vote) cannot be
    reported; an event without a room has nobody to judge its proposals."""
    proposal = proposal_get_readable(proposal_id=proposal_id, user=user)
    if proposal.eligibility == Proposal.ELECTORS:
        raise AppError("bad_request", "a moderation vote cannot be reported")
    if proposal.room_id is None and proposal.event_id is None:
        return Scope(commune_id=proposal.commune_id), proposal.author
    room_id = proposal.room_id or proposal.event.room_id
    if room_id is None:
        raise AppError("bad_request", "this event has no room, so nobody moderates its proposals")
    return Scope(room_id=room_id), proposal.author


def audit(
    *,
    room_id: int | None = None,
    scope: Scope | None = None,
    actor,
    action: str,
    subject=None,
    kind: str = "",
    item=None,
    reason: str = "",
    details=None,
) -> None:
    """One audit entry in `scope` (or the room `room_id`). `reason` is the English sentence
    (kept for compatibility); `details` holds the same facts structured (a count, a share, a
    verdict) for clients to phrase. Published as `audit.added` on the scope's topic, so the
    moderators' log follows live."""
    scope = scope or Scope(room_id=room_id)
    entry = AuditEntry.objects.create(
        **scope.fields,
        actor=actor,
        action=action,
        subject=subject,
        kind=kind,
        item=item,
        reason=reason[:1000],
        details=details or {},
    )
    topic_event_append(topic=scope.topic, kind="audit.added", data={"action": entry.action, "at": entry.at.isoformat()})


@user_write("report", signed_out="sign in to report")
def item_report(*, user, kind: str, item_id: int, reason: str, ref: str | None = None) -> dict:
    """Report a message, a debate question or a proposal one may read, with a reason. One report per person and
    item (a database constraint; a second counts once). The report that reaches the scope's
    threshold hides the item everywhere, live, and opens the moderation vote — unless the scope
    has nobody to judge it (a commune without referents): then the report is recorded, the item
    stays visible and the answer says `judges: 0`; the next report after a judge is named opens
    the vote."""
    scope, author = _item_resolve(kind, item_id, user)
    if author is not None and author.id == user.id:
        raise AppError("conflict", f"you cannot report your own {ITEM_WORDS[kind]}")
    policy = scope.policy_locked()
    case = Case.objects.filter(kind=kind, item=item_id).first()
    if case is not None and case.status == Case.KEPT:
        raise AppError("conflict", f"the moderation vote already kept this {ITEM_WORDS[kind]}")
    try:
        with transaction.atomic():
            Report.objects.create(kind=kind, item=item_id, reporter=user, reason=reason, **scope.fields)
        counted = True
    except IntegrityError:
        counted = False
    result = {"kind": kind, "item": item_id, "counted": counted, "hidden": case is not None}
    if case is None and Report.objects.filter(kind=kind, item=item_id).count() >= policy.report_threshold:
        electors = scope.electors(author)
        if not electors:
            return result | {"judges": 0}
        _case_open(kind=kind, item_id=item_id, scope=scope, author=author, policy=policy, electors=electors)
        result["hidden"] = True
    return result


def _case_open(*, kind: str, item_id: int, scope: Scope, author, policy, electors: list) -> Case:
    if kind == "message":
        message_hide(room_id=scope.room_id, message_id=item_id)
    elif kind == "question":
        question_reported_hide(room_id=scope.room_id, question_id=item_id)
    else:
        proposal_reported_hide(proposal_id=item_id)
    where = "de la commune" if scope.is_commune else "du salon"
    proposal = proposal_open_for_electors(
        room_id=scope.room_id,
        commune=None if scope.room_id is not None else scope.commune_id,
        title=VOTE_TITLES[kind].format(id=item_id),
        body=VOTE_BODIES[kind].format(threshold=policy.vote_threshold, where=where),
        electors=electors,
        majority=policy.vote_threshold,
        closes_at=timezone.now() + timedelta(hours=policy.vote_hours),
    )
    case = Case.objects.create(kind=kind, item=item_id, author=author, proposal=proposal, **scope.fields)
    reports = Report.objects.filter(kind=kind, item=item_id).count()
    audit(
        scope=scope,
        actor=None,
        action="hidden",
        subject=author,
        kind=kind,
        item=item_id,
        reason=f"{reports} reports",
        details={"reports": reports},
    )
    topic_event_append(
        topic=scope.topic,
        kind="case.opened",
        data={
            "id": case.id,
            "kind": kind,
            "item": item_id,
            "reports": reports,
            "proposal": proposal.id,
            "closes_at": proposal.closes_at.isoformat(),
        },
    )
    return case


def case_decide_on_close(*, proposal: Proposal, **_) -> None:
    """`proposal_resolved` receiver, in the closing transaction: a moderation vote adopted
    removes the item (its text erased and redacted from replay), refused keeps it (shown again).
    Once per case: a vote reopened and closed again changes nothing."""
    case = Case.objects.select_for_update().filter(proposal_id=proposal.id, status=Case.OPEN).first()
    if case is None:
        return
    scope = Scope.of(case)
    by = "the commune's moderation vote" if scope.is_commune else "the room's moderation vote"
    outcome = proposal.outcome or {}
    share = outcome.get("up_share")
    share = share if isinstance(share, int | float) else None
    share_text = "no votes" if share is None else f"{round(share * 100)} %"
    reason_list = list(Report.objects.filter(kind=case.kind, item=case.item).values_list("reason", flat=True)[:5])
    reasons = "; ".join(reason_list)
    removed = proposal.result == Proposal.ADOPTED
    case.status = Case.REMOVED if removed else Case.KEPT
    case.decided_at = timezone.now()
    verdict = "removed" if removed else "kept"
    case.decision = (
        f"{verdict} by {by}: {share_text} for removal (removal needs {proposal.majority} %); reported as: {reasons}"
    )[:1000]
    case.save(update_fields=["status", "decided_at", "decision"])
    _item_decide(case, removed=removed)
    details = {
        "verdict": verdict,
        "share": None if share is None else round(share * 100),
        "majority": proposal.majority,
        "reasons": reason_list,
    }
    if case.author_id is not None:
        _author_notify(case, scope, details, excerpt=f"{share_text} — {reasons}", reasons=reasons)
    audit(
        scope=scope,
        actor=None,
        action=verdict,
        subject=case.author,
        kind=case.kind,
        item=case.item,
        reason=case.decision,
        details=details,
    )
    topic_event_append(
        topic=scope.topic,
        kind="case.decided",
        data={"id": case.id, "kind": case.kind, "item": case.item, "decision": case.status},
    )


def _author_notify(case: Case, scope: Scope, details: dict, *, excerpt: str, reasons: str) -> None:
    """The author is told the outcome either way, and why (the vote's share and the reasons
    given), never the removed text. `action` names the item's kind and the outcome; a commune's
    vote has its own wording (`…_by_commune_vote`): not "the room's vote"."""
    verdict = details["verdict"]
    removed = verdict == "removed"
    action = f"{case.kind}_{'removed_by_vote' if removed else 'kept'}"
    if scope.is_commune:
        action = f"{case.kind}_{verdict}_by_commune_vote"
    place = f"/#/room/{case.room_id}" if case.room_id is not None else f"/#/commune/{case.commune_id}"
    notify(
        kind="moderation",
        recipients=[case.author_id],
        subject=f"room:{case.room_id}" if case.room_id is not None else f"commune:{case.commune_id}",
        data={
            "title": scope.name(),
            "excerpt": excerpt[:200],
            "action": action,
            "item_kind": case.kind,
            "scope": "commune" if scope.is_commune else "room",
            "outcome": verdict,
            "share": details["share"],
            "majority": details["majority"],
            "reason": reasons[:500],
            "url": f"/#/proposal/{case.item}" if case.kind == "proposal" and not removed else place,
        },
    )


def _item_decide(case: Case, *, removed: bool) -> None:
    """Remove (text erased, redacted from replay) or keep (shown again) the item, in its app."""
    if case.kind == "message":
        if removed:
            message_remove(room_id=case.room_id, message_id=case.item)
        else:
            message_restore(room_id=case.room_id, message_id=case.item)
    elif case.kind == "question":
        if removed:
            question_reported_remove(room_id=case.room_id, question_id=case.item, reason=case.decision)
        else:
            question_reported_restore(room_id=case.room_id, question_id=case.item)
    elif removed:
        proposal_reported_remove(proposal_id=case.item)
    else:
        proposal_reported_restore(proposal_id=case.item)


def _moderator_room(room_id: int, user):
    room = room_get_readable(room_id=room_id, user=user)
    if not (user.is_staff or room_moderated_by(room=room, user=user)):
        raise AppError("forbidden", "only the room's owners and moderators may do this")
    return room


def _member_named(room, username: str):
    target = user_by_username(username)
    if target is None or not target.is_active:
        raise AppError("not_found", f"nobody is called {username!r}")
    if room_role(room=room, user=target) in ("owner", "moderator"):
        raise AppError("conflict", "the room's owners and moderators cannot be muted or banned")
    return target


def sanction_notify(*, room, target, action: str, reason: str) -> None:
    """Tell the person what a moderator decided about them in the room (not who). A ban's notice
    is about no topic: the person may no longer read the room, yet must hear of it."""
    banned = action in ("banned", "unbanned")
    notify(
        kind="moderation",
        recipients=[target.id],
        subject="" if banned else room.topic,
        data={
            "title": room.name,
            "action": action,
            "reason": reason,
            "url": "/#/inbox" if banned else f"/#/room/{room.id}",
        },
    )


@user_write("sanction", signed_out="sign in first")
def member_sanction(
    *, user, room_id: int, username: str, kind: str, reason: str = "", lift: bool = False, ref: str | None = None
) -> dict:
    """A moderator mutes (reads, may not write) or bans (may not read) someone in the room, or
    lifts it. A ban ends the person's live subscriptions to the room, its debate and floor
    topics and its proposals, on every process."""
    room = _moderator_room(room_id, user)
    target = _member_named(room, username)
    # A ban re-checks the room's topic on commit; its debate, floor and proposals follow it
    # (TopicKind.access_follows).
    changed = room_sanction_set(room_id=room.id, user=target, kind=kind, reason=reason, lift=lift)
    if changed:
        action = {("mute", False): "muted", ("mute", True): "unmuted", ("ban", False): "banned"}.get(
            (kind, lift), "unbanned"
        )
        audit(room_id=room.id, actor=user, action=action, subject=target, reason=reason)
        sanction_notify(room=room, target=target, action=action, reason=reason)
    return {"room": room.id, "user": target.username, "kind": kind, "active": not lift, "changed": changed}


@user_write("trust", signed_out="sign in first")
def member_trust(*, user, room_id: int, username: str, trusted: bool = True, ref: str | None = None) -> dict:
    """A moderator names (or un-names) a trusted member: they vote on reported items too."""
    room = _moderator_room(room_id, user)
    target = user_by_username(username)
    if target is None or not target.is_active:
        raise AppError("not_found", f"nobody is called {username!r}")
    if trusted:
        changed = Trusted.objects.get_or_create(room=room, user=target)[1]
    else:
        changed = Trusted.objects.filter(room=room, user=target).delete()[0] > 0
    if changed:
        audit(room_id=room.id, actor=user, action="trusted" if trusted else "untrusted", subject=target)
    return {"room": room.id, "user": target.username, "trusted": trusted, "changed": changed}


@user_write("moderation_configure", signed_out="sign in first")
def policy_set(*, user, room_id: int, policy: PolicyIn, ref: str | None = None) -> dict:
    """A moderator sets how many distinct reports hide an item, the share of the vote that
    removes it, and how long the vote lasts (for cases opened afterwards)."""
    room = _moderator_room(room_id, user)
    return _scope_policy_set(Scope(room_id=room.id), user, policy)


@user_write("commune_moderation_configure", signed_out="sign in first")
def commune_policy_set(*, user, insee: str, policy: PolicyIn, ref: str | None = None) -> dict:
    """A commune's referent (or staff) sets the same three numbers for the commune-wide
    proposals (for cases opened afterwards; a vote already open keeps its threshold)."""
    commune = commune_get(insee=insee)
    scope = Scope(commune_id=commune.insee)
    if not scope.moderated_by(user):
        raise AppError("forbidden", "only the commune's referents may change its moderation rule")
    return {"commune": commune.insee} | _scope_policy_set(scope, user, policy)


def _scope_policy_set(scope: Scope, user, policy: PolicyIn) -> dict:
    row = scope.policy_locked()
    for field in POLICY_FIELDS:
        value = getattr(policy, field)
        if value is not None:
            setattr(row, field, value)
    row.save()
    settings = {field: getattr(row, field) for field in POLICY_FIELDS}
    audit(scope=scope, actor=user, action="configured", reason=", ".join(f"{k}={v}" for k, v in settings.items()))
    return settings


def user_moderation_erase(*, user) -> None:
    """Account erasure (settings.ACCOUNT_ERASERS): the person's reports and trusted roles go;
    cases and audit entries about or by them stay, naming nobody. In the caller's transaction."""
    Report.objects.filter(reporter=user).delete()
    Trusted.objects.filter(user=user).delete()
    Case.objects.filter(author=user).update(author=None)
    AuditEntry.objects.filter(actor=user).update(actor=None)
    AuditEntry.objects.filter(subject=user).update(subject=None)
