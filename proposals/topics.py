from proposals.selectors import proposal_get_readable, proposal_tally_by_id
from realtime.topics import TopicKind


class ProposalTopic(TopicKind):
    prefix = "proposal"
    state_kind = "tally"

    def authorize_read(self, user, object_id: int) -> None:
        proposal_get_readable(proposal_id=object_id, user=user)

    def state_snapshot(self, object_id: int) -> dict | None:
        return proposal_tally_by_id(object_id)
