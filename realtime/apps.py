from importlib import import_module

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_tune(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # WAL lets readers go on while one writer commits; NORMAL sync is safe with WAL.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime transport"

    def ready(self) -> None:
        connection_created.connect(_sqlite_tune)
        # Registers the start-up check of the settings registries (topic kinds, commands, jobs…).
        import_module("realtime.registry")
