"""The full-text index each database searches with.

PostgreSQL: a `french_unaccent` text search configuration (French stemming after unaccent), so
"reunion" matches "Réunion"; documents are vectorised at query time by search.backends.

SQLite: one FTS5 table, `search_fts`, with the unicode61 tokenizer removing diacritics, kept in
step with the rooms, messages, events and proposals tables by triggers. Its rowid encodes the row
(`id * 8 + kind`) so a trigger updates one entry by rowid instead of scanning the index.
"""

from django.db import migrations

# kind code, table, title column, body expression, condition for a row to be indexed
SQLITE_SOURCES = [
    (1, "discussions_room", "name", "description", "1"),
    (2, "discussions_message", "''", "body", "NEW.deleted_at IS NULL"),
    (3, "events_event", "title", "description || ' ' || address", "1"),
    (4, "proposals_proposal", "title", "body || ' ' || arguments_for || ' ' || arguments_against", "1"),
]

PG_CONFIG = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
    CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
    ALTER TEXT SEARCH CONFIGURATION french_unaccent
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
  END IF;
END $$;
"""


def _sqlite_statements() -> list[str]:
    statements = [
        "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
    ]
    for code, table, title, body, condition in SQLITE_SOURCES:
        new_title = title if title == "''" else f"NEW.{title}"
        new_body = " || ' ' || ".join(
            f"COALESCE(NEW.{part.strip()}, '')" if not part.strip().startswith("'") else part.strip()
            for part in body.split("||")
        )
        insert = (
            f"INSERT INTO search_fts(rowid, title, body) SELECT NEW.id * 8 + {code}, {new_title}, {new_body} "
            f"WHERE {condition};"
        )
        delete = f"DELETE FROM search_fts WHERE rowid = OLD.id * 8 + {code};"
        statements += [
            f"CREATE TRIGGER search_{table}_ai AFTER INSERT ON {table} BEGIN {insert} END",
            f"CREATE TRIGGER search_{table}_au AFTER UPDATE ON {table} BEGIN {delete} {insert} END",
            f"CREATE TRIGGER search_{table}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        ]
        old_rows = f"INSERT INTO search_fts(rowid, title, body) SELECT id * 8 + {code}, {title}, " + " || ' ' || ".join(
            f"COALESCE({part.strip()}, '')" if not part.strip().startswith("'") else part.strip()
            for part in body.split("||")
        )
        where = condition.replace("NEW.", "")
        statements.append(f"{old_rows} FROM {table} WHERE {where}")
    return statements


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CONFIG)
    elif vendor == "sqlite":
        for statement in _sqlite_statements():
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")
    elif vendor == "sqlite":
        for _, table, *_ in SQLITE_SOURCES:
            for suffix in ("ai", "au", "ad"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS search_{table}_{suffix}")
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0001_initial"),
        ("events", "0001_initial"),
        ("proposals", "0001_initial"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
