"""Organisations join the SQLite full-text index (kind code 5): name as title; description,
address and tags as body. PostgreSQL vectorises at query time and needs nothing here."""

from django.db import migrations

CODE, TABLE = 5, "organisations_organisation"
BODY = "COALESCE({p}description, '') || ' ' || COALESCE({p}address, '') || ' ' || COALESCE({p}tags_text, '')"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    insert = f"INSERT INTO search_fts(rowid, title, body) VALUES (NEW.id * 8 + {CODE}, NEW.name, {BODY.format(p='NEW.')});"
    delete = f"DELETE FROM search_fts WHERE rowid = OLD.id * 8 + {CODE};"
    for statement in (
        f"CREATE TRIGGER search_{TABLE}_ai AFTER INSERT ON {TABLE} BEGIN {insert} END",
        f"CREATE TRIGGER search_{TABLE}_au AFTER UPDATE OF name, description, address, tags_text ON {TABLE} BEGIN {delete} {insert} END",
        f"CREATE TRIGGER search_{TABLE}_ad AFTER DELETE ON {TABLE} BEGIN {delete} END",
        f"INSERT INTO search_fts(rowid, title, body) SELECT id * 8 + {CODE}, name, {BODY.format(p='')} FROM {TABLE}",
    ):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for suffix in ("ai", "au", "ad"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS search_{TABLE}_{suffix}")
    schema_editor.execute(f"DELETE FROM search_fts WHERE rowid % 8 = {CODE}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_fulltext"), ("organisations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
