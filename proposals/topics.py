from proposals.models import Proposal
from proposals.selectors import proposal_get_readable, proposal_tally_by_id
from realtime.topics import TopicKind


class ProposalTopic(TopicKind):
    prefix = "proposal"
    state_kind = "tally"

    def authorize_read(self, user, object_id: int) -> None:
        proposal_get_readable(proposal_id=object_id, user=user)

    def state_snapshot(self, object_id: int) -> dict | None:
        return proposal_tally_by_id(object_id)

    def access_follows(self, changed: str) -> list[str]:
        # A proposal is read by those who may read its room, or see its event.
        prefix, _, raw = changed.partition(":")
        if prefix not in ("room", "event") or not raw.isdigit():
            return []
        ids = Proposal.objects.filter(**{f"{prefix}_id": int(raw)}).values_list("id", flat=True)
        return [f"proposal:{pk}" for pk in ids]


# Events that name a proposal by `data.id` on another topic than its own.
_BY_ID = {"commune.proposal_created", "commune.proposal_closed"}
_URL = "/#/proposal/"


def _named(value: object) -> int | None:
    """The proposal a (nested) event `data` names: `proposal: <id>`, `subject: "proposal:<id>"`
    or `url: "/#/proposal/<id>"`, at any depth."""
    if isinstance(value, list):
        return next((found for item in value if (found := _named(item)) is not None), None)
    if not isinstance(value, dict):
        return None
    proposal, subject, url = value.get("proposal"), value.get("subject"), value.get("url")
    if isinstance(proposal, int) and not isinstance(proposal, bool):
        return proposal
    if isinstance(subject, str) and subject.startswith("proposal:") and subject[9:].isdigit():
        return int(subject[9:])
    if isinstance(url, str) and url.startswith(_URL) and url[len(_URL) :].isdigit():
        return int(url[len(_URL) :])
    return next(
        (found for item in value.values() if isinstance(item, dict | list) and (found := _named(item)) is not None),
        None,
    )


def event_about(topic: str, kind: str, data: dict) -> str | None:
    """settings.REALTIME_EVENT_ABOUT rule: `proposal:<id>` for an event about a proposal on
    another topic than the proposal's own (its commune's news, its actions on a room's topic, an
    organisation's list, a debate's quick vote, a person's notice), so hiding or removing it
    finds them by index (proposals.services.reported)."""
    if topic.startswith("proposal:") or not isinstance(data, dict):
        return None
    if kind in _BY_ID or (kind == "organisation.item_added" and data.get("kind") == "proposal"):
        return f"proposal:{data.get('id')}" if isinstance(data.get("id"), int) else None
    found = _named(data)
    return None if found is None else f"proposal:{found}"
