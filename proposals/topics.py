from realtime.errors import AppError
from realtime.topics import TopicKind


class ProposalTopic(TopicKind):
    prefix = "proposal"
    state_kind = "tally"

    def authorize_read(self, user, object_id: int) -> None:
        raise AppError("not_found", f"proposal {object_id} does not exist")
