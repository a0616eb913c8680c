import re

from communes.selectors import commune_get
from realtime.topics import TopicKind

# INSEE codes: five digits, or 2A/2B and three digits in Corsica.
INSEE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")


class CommuneTopic(TopicKind):
    """`commune:<insee>`: the commune's public news, readable by anyone (signed in or not)."""

    prefix = "commune"

    def parse_id(self, raw: str) -> str | None:
        return raw if INSEE.match(raw) else None

    def authorize_read(self, user, object_id: str) -> None:
        commune_get(insee=object_id)
