from django.core.management.base import BaseCommand

from realtime.scheduler import scheduler_run


class Command(BaseCommand):
    help = "Run the periodic jobs (close proposals on time, purge write receipts) until stopped."

    def handle(self, *args, **options):
        self.stdout.write("scheduler running")
        scheduler_run()
