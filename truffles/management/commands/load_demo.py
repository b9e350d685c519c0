from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo content a newcomer sees with `make run`. Safe to run again."

    def handle(self, *args, **options):
        for command in DEMO_COMMANDS:
            call_command(command, verbosity=options["verbosity"])


# Each loader is idempotent on its own; `make run` and `make serve` call this one entry point.
DEMO_COMMANDS: list[str] = ["load_articles", "load_demo_schedule"]
