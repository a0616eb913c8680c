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
