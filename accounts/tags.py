"""Tags (interests) as people, organisations, events, rooms and proposals carry them: short
lowercase words, "jardin-partagé", at most TAGS_MAX per thing. One spelling rule for every app."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StrictStr

from accounts.models import TagUse

TAG_MAX = 40
TAGS_MAX = 12
_SEPARATORS = re.compile(r"[\s_]+")
_TAG = re.compile(r"^[\w-]{1,40}$", re.UNICODE)


def tag_normalise(raw: str) -> str:
    """'  #Jardin Partagé ' -> 'jardin-partagé'; ValueError when nothing usable is left."""
    tag = _SEPARATORS.sub("-", raw.strip().lstrip("#").strip().lower()).strip("-")
    if not _TAG.match(tag):
        raise ValueError(f"tag {raw[:50]!r}: 1-{TAG_MAX} letters, digits or hyphens")
    return tag


def tags_normalise(raw: list[str]) -> list[str]:
    tags = list(dict.fromkeys(tag_normalise(t) for t in raw))
    if len(tags) > TAGS_MAX:
        raise ValueError(f"at most {TAGS_MAX} tags")
    return tags


Tags = Annotated[list[StrictStr], AfterValidator(tags_normalise)]


def tags_index_set(*, kind: str, object_id: int, tags: list[str]) -> None:
    """Make the tag index say exactly `tags` for this thing (in the caller's transaction)."""
    TagUse.objects.filter(kind=kind, object_id=object_id).exclude(tag__in=tags).delete()
    held = set(TagUse.objects.filter(kind=kind, object_id=object_id).values_list("tag", flat=True))
    TagUse.objects.bulk_create([TagUse(tag=t, kind=kind, object_id=object_id) for t in tags if t not in held])
