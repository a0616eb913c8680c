"""Two topics per organisation:

- `organisation:<id>`: its public life (updates, members joining and leaving, roles, new rooms,
  events and proposals), readable by anyone;
- `orgadmin:<id>`: its admins' desk (membership requests and decisions), readable by its admins
  only, re-checked whenever admins change (a removed admin is unsubscribed at once).
"""

from organisations.selectors import organisation_admin_required, organisation_get
from realtime.errors import AppError
from realtime.topics import TopicKind


class OrganisationTopic(TopicKind):
    prefix = "organisation"

    def authorize_read(self, user, object_id: int) -> None:
        organisation_get(organisation_id=object_id)


class OrganisationAdminTopic(TopicKind):
    prefix = "orgadmin"

    def authorize_read(self, user, object_id: int) -> None:
        try:
            organisation_admin_required(organisation_id=object_id, user=user)
        except AppError as error:
            if error.code == "auth_required":
                raise AppError("forbidden", "only the organisation's admins follow this topic") from None
            raise
