from django.conf import settings
from django.core.management.base import BaseCommand

from realtime import ratelimit
from realtime.registry import registered


class Command(BaseCommand):
    help = "Fill the database with demo data (communes of La Réunion, rooms, events, proposals). Idempotent."

    def handle(self, *args, **options):
        # The operator writes the demo through the users' services: their rate limit is for users.
        with ratelimit.suspended():
            for path in settings.DEMO_LOADERS:
                summary = registered(path)()
                if summary:
                    self.stdout.write(f"{path.partition(':')[0]}: {summary}")
