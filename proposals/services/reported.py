"""A proposal reported past its room's threshold (co-moderation, moderation.services): hidden
pending the room's moderation vote, then kept (shown again) or removed (its text erased).

Called inside the moderation write's transaction. Hiding takes the proposal's title, body and
arguments out of every stored event that carried them (replay, on every process) and out of the
people's notifications, ends the live subscriptions of those who may no longer read it (everyone
but the room's moderators, the event's organisers and staff), and keeps it out of lists and
search. While hidden, new events and notices about it carry no title (`proposal_title_shown`).
"""

from __future__ import annotations

from django.utils import timezone

from notifications.services import notifications_about_redact
from proposals.ballots import secret_ballots_unlink
from proposals.models import Amendment, Proposal
from proposals.services.common import proposal_row_locked
from proposals.signals import proposal_removed, proposal_texts
from realtime.access import topic_access_changed
from realtime.models import TopicEvent
from realtime.redaction import string_values_replace
from realtime.sequencing import topic_event_append
from realtime.state import topic_state_changed


def _texts(proposal: Proposal) -> list[str]:
    """Every text about the proposal: its own, its amendments', and those other apps hold about
    it (`proposal_texts`: the outcome statement, the actions' titles)."""
    texts = [proposal.title, proposal.body, proposal.arguments_for, proposal.arguments_against]
    texts += [o.get("label", "") for o in proposal.options if proposal.kind != "meeting" and "label" in o]
    texts += list(Amendment.objects.filter(proposal_id=proposal.id).values_list("body", flat=True))
    for _, held in proposal_texts.send(sender=Proposal, proposal=proposal):
        texts += list(held or [])
    return [text for text in dict.fromkeys(texts) if text and len(text) >= 2]


def proposal_events_redact(proposal: Proposal) -> int:
    """Blank the proposal's texts (exact string values) in every stored event about it: its own
    topic, the commune's news, its actions on room and commune topics, an organisation's list, a
    debate's quick vote, its notifications on personal topics. Those are found by index: the
    proposal's topic, or `about` (set at append time by `proposals.topics.event_about`), so the
    cost follows the proposal's events, not the table. Returns how many changed."""
    texts = _texts(proposal)
    if not texts:
        return 0
    rows = TopicEvent.objects.filter(topic=proposal.topic).select_for_update()
    others = TopicEvent.objects.filter(about=proposal.topic).select_for_update()
    changed = 0
    for event in [*rows, *others]:
        data = event.data
        for text in texts:
            data = string_values_replace(data, text, "")
        if data != event.data:
            event.data = data  # same shape (the kind's schema), texts blanked
            event.save(update_fields=["data"])
            changed += 1
    notifications_about_redact(subject=proposal.topic, texts=texts)
    return changed


def proposal_reported_hide(*, proposal_id: int) -> Proposal:
    """Hide a proposal pending its room's moderation vote (once): texts out of stored events,
    `proposal.hidden` on its topic, then every process drops the subscribers who may no longer
    read it."""
    locked = proposal_row_locked(proposal_id)
    if locked.hidden_at is None:
        proposal_events_redact(locked)
        locked.hidden_at = timezone.now()
        locked.state_version += 1
        locked.save(update_fields=["hidden_at", "state_version"])
        topic_event_append(topic=locked.topic, kind="proposal.hidden", data={"id": locked.id})
        topic_access_changed(locked.topic)
    return locked


def proposal_reported_restore(*, proposal_id: int) -> None:
    """The vote kept it: readable and listed again (`proposal.restored`); stored events stay
    without its text (readers fetch it again)."""
    locked = proposal_row_locked(proposal_id)
    if locked.hidden_at is None:
        return
    locked.hidden_at = None
    locked.state_version += 1
    locked.save(update_fields=["hidden_at", "state_version"])
    topic_event_append(topic=locked.topic, kind="proposal.restored", data={"id": locked.id})
    topic_state_changed(locked.topic)


def proposal_reported_remove(*, proposal_id: int) -> None:
    """The vote removed it: its texts are erased (title, body, arguments, custom option labels,
    its amendments' bodies, and through `proposal_removed` its outcome statement and actions'
    titles) and blanked again from stored events; its vote stops (archived, secret links
    destroyed); it stays hidden for good. Publishes `proposal.removed`."""
    locked = proposal_row_locked(proposal_id)
    proposal_events_redact(locked)
    Amendment.objects.filter(proposal_id=locked.id).update(body="")
    proposal_removed.send(sender=Proposal, proposal=locked)
    locked.title = locked.body = locked.arguments_for = locked.arguments_against = ""
    if locked.kind != "meeting":
        locked.options = [{**option, "label": ""} if "label" in option else option for option in locked.options]
    locked.hidden_at = locked.hidden_at or timezone.now()
    fields = ["title", "body", "arguments_for", "arguments_against", "options", "hidden_at", "state_version"]
    if locked.phase != Proposal.ARCHIVED:
        locked.phase = Proposal.ARCHIVED
        locked.archived_at = timezone.now()
        fields += ["phase", "archived_at"]
        if locked.anonymous:
            secret_ballots_unlink(proposal=locked)
    locked.state_version += 1
    locked.save(update_fields=fields)
    topic_event_append(topic=locked.topic, kind="proposal.removed", data={"id": locked.id})
    topic_state_changed(locked.topic)
