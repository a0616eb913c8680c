from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Fill the database with demo data (communes of La Réunion, rooms, events, proposals). Idempotent."

    def handle(self, *args, **options):
        for path in settings.DEMO_LOADERS:
            module, _, name = path.partition(":")
            try:
                loader = import_string(f"{module}.{name}")
            except ImportError:
                continue
            summary = loader()
            if summary:
                self.stdout.write(f"{module}: {summary}")
