"""`manage.py db_backup FILE`: a consistent copy of the database while the service runs.

SQLite: the online backup API (pages copied under a read lock, writers go on between steps).
PostgreSQL: `pg_dump --format=custom` (one snapshot; restore with `pg_restore`, docs/DEPLOY.md).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Back up the database to FILE (SQLite: online backup API; PostgreSQL: pg_dump custom format)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")

    def handle(self, *args, file: str, **options) -> None:
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.sqlite_backup(settings["NAME"], file)
        elif connection.vendor == "postgresql":
            self.postgres_backup(settings, file)
        else:
            raise CommandError(f"no backup method for {connection.vendor}")
        self.stdout.write(f"backup written to {file}")

    @staticmethod
    def sqlite_backup(source_path: str, file: str) -> None:
        source = sqlite3.connect(source_path, timeout=30)
        target = sqlite3.connect(file)
        try:
            # 1,000 pages per step: the lock is released between steps so writers are not held up.
            source.backup(target, pages=1000)
        finally:
            target.close()
            source.close()

    @staticmethod
    def postgres_backup(settings: dict, file: str) -> None:
        environment = dict(os.environ)
        if settings.get("PASSWORD"):
            environment["PGPASSWORD"] = settings["PASSWORD"]
        command = ["pg_dump", "--format=custom", "--no-owner", f"--file={file}", f"--dbname={settings['NAME']}"]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if settings.get(key):
                command.append(f"{flag}={settings[key]}")
        result = subprocess.run(command, env=environment, capture_output=True, text=True)
        if result.returncode != 0:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
