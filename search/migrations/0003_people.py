"""People join the SQLite full-text index (kind code 6): display name as title, bio as body. The
profile's key is its user's id. Who may find whom is decided at query time (search.selectors)."""

from django.db import migrations

CODE, TABLE = 6, "accounts_profile"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    insert = (
        f"INSERT INTO search_fts(rowid, title, body) "
        f"VALUES (NEW.user_id * 8 + {CODE}, NEW.display_name, COALESCE(NEW.bio, ''));"
    )
    delete = f"DELETE FROM search_fts WHERE rowid = OLD.user_id * 8 + {CODE};"
    for statement in (
        f"CREATE TRIGGER search_{TABLE}_ai AFTER INSERT ON {TABLE} BEGIN {insert} END",
        f"CREATE TRIGGER search_{TABLE}_au AFTER UPDATE OF display_name, bio ON {TABLE} BEGIN {delete} {insert} END",
        f"CREATE TRIGGER search_{TABLE}_ad AFTER DELETE ON {TABLE} BEGIN {delete} END",
        f"INSERT INTO search_fts(rowid, title, body) SELECT user_id * 8 + {CODE}, display_name, COALESCE(bio, '') FROM {TABLE}",
    ):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for suffix in ("ai", "au", "ad"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS search_{TABLE}_{suffix}")
    schema_editor.execute(f"DELETE FROM search_fts WHERE rowid % 8 = {CODE}")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_organisations"), ("accounts", "0003_profiles_and_tags")]
    operations = [migrations.RunPython(forwards, backwards)]
