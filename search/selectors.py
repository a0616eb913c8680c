"""One search over rooms, messages, events, proposals and organisations, limited to what the reader may read.

Each kind's rows are first narrowed to the readable ones with the owning app's own visibility
rule (the same filter its list and get selectors use), then matched by the database's full-text
backend. Pages are taken from the merged ranking: the first `offset + limit` hits of each kind
contain the first `offset + limit` hits overall.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import Profile
from discussions.models import Message, Room
from discussions.selectors import room_readable_filter
from events.models import Event
from events.selectors import event_visible_ids
from organisations.models import Organisation
from proposals.models import Proposal
from proposals.selectors import proposal_list
from realtime.auth import signed_in
from realtime.errors import AppError
from search.backends import Source, match, words

KINDS = ("rooms", "messages", "events", "proposals", "organisations", "people")
LIMIT_MAX = 50
OFFSET_MAX = 1000
QUERY_MAX = 200
SNIPPET = 160

SOURCES = {
    "rooms": Source(1, "name", ("description",)),
    "messages": Source(2, None, ("body",)),
    "events": Source(3, "title", ("description", "address")),
    "proposals": Source(4, "title", ("body", "arguments_for", "arguments_against")),
    "organisations": Source(5, "name", ("description", "address", "tags_text")),
    "people": Source(6, "display_name", ("bio",)),
}


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    snippet: str
    commune: str | None
    rank: float
    # Where it opens: the room of a message, else the item itself.
    room: int | None = None
    # A person's page is by username.
    username: str | None = None


def _readable(kind: str, user) -> QuerySet:
    """The rows of `kind` that `user` may read, by the owning app's rule."""
    if kind == "rooms":
        readable = Room.objects.filter(room_readable_filter(user)).values("id")
        return Room.objects.filter(id__in=readable)
    if kind == "messages":
        rooms = Room.objects.filter(room_readable_filter(user)).values("id")
        return Message.objects.filter(
            room_id__in=rooms, deleted_at__isnull=True, hidden_at__isnull=True
        ).select_related("room")
    if kind == "events":
        return Event.objects.filter(id__in=event_visible_ids(user))
    if kind == "organisations":
        return Organisation.objects.all()  # public, every one of them
    if kind == "people":
        return _people_readable(user)
    return Proposal.objects.filter(id__in=proposal_list(user=user).values("id"))


def _people_readable(user):
    """Profiles whose owner lets `user` see them (accounts.profiles.profile_visible's rule, as a
    query): public ones, signed-in ones for a signed-in reader, and one's own."""
    allowed = [Profile.PUBLIC, Profile.SIGNED_IN] if signed_in(user) else [Profile.PUBLIC]
    visible = Q(visibility__in=allowed) | (Q(user_id=user.pk) if signed_in(user) else Q(pk__in=[]))
    return Profile.objects.filter(visible, user__is_active=True).select_related("user")


def _hit(kind: str, row) -> Hit:
    if kind == "people":
        name = row.display_name or row.user.username
        return Hit(kind, row.user_id, name, row.bio[:SNIPPET], None, row.rank, None, row.user.username)
    if kind == "messages":
        return Hit(kind, row.id, row.room.name, row.body[:SNIPPET], row.room.commune_id, row.rank, row.room_id)
    title = row.name if kind in ("rooms", "organisations") else row.title
    body = row.description if kind in ("rooms", "events", "organisations") else row.body
    return Hit(kind, row.id, title, body[:SNIPPET], row.commune_id, row.rank)


def _kinds(kinds: list[str] | None) -> list[str]:
    if not kinds:
        return list(KINDS)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise AppError("bad_request", f"unknown kinds {', '.join(unknown)}; known: {', '.join(KINDS)}")
    return [k for k in KINDS if k in kinds]


def search(
    *, user, q: str, kinds: list[str] | None = None, commune: str | None = None, limit: int = 20, offset: int = 0
) -> tuple[list[Hit], int]:
    """Hits for `q` that `user` may read, best first, and how many there are in all."""
    if not 1 <= limit <= LIMIT_MAX:
        raise AppError("bad_request", f"limit must be between 1 and {LIMIT_MAX}")
    if not 0 <= offset <= OFFSET_MAX:
        raise AppError("bad_request", f"offset must be between 0 and {OFFSET_MAX}")
    if len(q) > QUERY_MAX:
        raise AppError("bad_request", f"q is longer than {QUERY_MAX} characters")
    terms = words(q)
    if not terms:
        return [], 0
    hits: list[Hit] = []
    total = 0
    for kind in _kinds(kinds):
        rows = _readable(kind, user)
        if commune:
            if kind == "messages":
                rows = rows.filter(room__commune_id=commune)
            elif kind == "people":  # only those who show their commune
                rows = rows.filter(user__home_commune_id=commune, show_commune=True)
            else:
                rows = rows.filter(commune_id=commune)
        rows = match(rows, SOURCES[kind], terms)
        total += rows.count()
        hits += [_hit(kind, row) for row in rows.order_by("-rank", "-pk")[: offset + limit]]
    hits.sort(key=lambda h: (-h.rank, KINDS.index(h.kind), -h.id))
    return hits[offset : offset + limit], total
