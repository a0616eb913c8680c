"""A fresh, migrated database for each LiveStack without running `migrate` for each one.

`migrate` costs about 9 s of CPU; the suite starts some seventy stacks. The first stack of a test
process migrates a template database once (the same `manage.py migrate` a stack ran before); every
stack then gets its own copy of it: a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on
PostgreSQL (the server's own way of cloning a database). Each stack still owns a separate database
that no other test sees; the template is removed when the test process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_templates: dict[str, str] = {}  # admin DATABASE_URL ("" for SQLite) -> template file or database name


def migrate(env: dict) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py migrate failed:\n{result.stdout}\n{result.stderr}")


def pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def sqlite_copy(env: dict, path: str) -> None:
    """A migrated SQLite file at `path` (`env` is the stack's, before its test's own settings)."""
    if "" not in _templates:
        folder = tempfile.mkdtemp(prefix="cl-live-template-")
        atexit.register(shutil.rmtree, folder, True)
        template = os.path.join(folder, "template.sqlite3")
        migrate({**env, "SQLITE_PATH": template})
        # One self-contained file (the service turns WAL on again when it connects to a copy).
        with closing(sqlite3.connect(template)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
        _templates[""] = template
    shutil.copyfile(_templates[""], path)


def pg_create(env: dict, admin_url: str, name: str) -> None:
    """A new PostgreSQL database `name`, migrated (`env` is the stack's, before its test's own settings)."""
    if admin_url not in _templates:
        template = f"cl_live_tpl_{uuid.uuid4().hex[:10]}"
        pg_admin(admin_url, f'CREATE DATABASE "{template}"')
        atexit.register(pg_admin, admin_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        migrate({**env, "DATABASE_URL": admin_url.rsplit("/", 1)[0] + "/" + template})
        _templates[admin_url] = template
    pg_admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{_templates[admin_url]}"')
