"""Full-text matching per database: the same question, answered by PostgreSQL's French text
search (with unaccent) or by SQLite's FTS5 index (see migrations/0001_fulltext.py).

Each backend narrows a queryset of one searchable model to the rows matching the words and
annotates `rank`, higher is better. Who may read what is decided elsewhere (search.selectors).
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, FloatField, QuerySet
from django.db.models.expressions import RawSQL

PG_CONFIG = "french_unaccent"
WORD = re.compile(r"\w+", re.UNICODE)


class Source:
    """A searchable model: its FTS5 kind code and the fields its title and body are made of."""

    def __init__(self, code: int, title: str | None, body: tuple[str, ...]):
        self.code, self.title, self.body = code, title, body


def words(q: str) -> list[str]:
    """The words of a query; punctuation and query-language operators are dropped, so any text is safe."""
    return WORD.findall(q)[:12]


def match(queryset: QuerySet, source: Source, terms: list[str]) -> QuerySet:
    if connection.vendor == "postgresql":
        return _match_postgres(queryset, source, terms)
    return _match_sqlite(queryset, source, terms)


def _match_postgres(queryset: QuerySet, source: Source, terms: list[str]) -> QuerySet:
    fields = ([source.title] if source.title else []) + list(source.body)
    # Prefix matching on every word, all words required; each word goes through the French
    # configuration (unaccent, then stemming) inside to_tsquery.
    query = SearchQuery(" & ".join(f"{t}:*" for t in terms), config=PG_CONFIG, search_type="raw")
    vector = SearchVector(*fields, config=PG_CONFIG)
    return (
        queryset.annotate(search_vector=vector)
        .filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
    )


def _match_sqlite(queryset: QuerySet, source: Source, terms: list[str]) -> QuerySet:
    # Each word quoted (so FTS5 operators in it are plain text) and prefix-matched. A literal
    # percent sign is doubled in raw SQL: Django formats it with its parameters when it logs queries.
    expression = " ".join('"{}"*'.format(t.replace('"', "")) for t in terms)
    table = queryset.model._meta.db_table
    # A profile's key is its user's id (user_id), every other model's is `id`.
    entry = f"{table}.{queryset.model._meta.pk.column} * 8 + {source.code}"
    hits = RawSQL(
        f"SELECT rowid / 8 FROM search_fts WHERE search_fts MATCH %s AND rowid %% 8 = {source.code}", [expression]
    )
    # bm25 is lower for better matches: negate it so both backends rank higher-is-better.
    rank = RawSQL(
        f"SELECT -bm25(search_fts) FROM search_fts WHERE search_fts MATCH %s AND rowid = {entry}",
        [expression],
        output_field=FloatField(),
    )
    return queryset.filter(pk__in=hits).annotate(rank=rank)
