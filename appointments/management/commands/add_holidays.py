import holidays
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from appointments.models import Closure


class Command(BaseCommand):
    help = "Close the whole clinic on a year's public holidays. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--country", default="US", help="ISO country code (default US).")
        parser.add_argument("--subdiv", default=None, help="State or region, e.g. NY.")

    @transaction.atomic
    def handle(self, *args, year, country, subdiv, **options):
        try:
            calendar = holidays.country_holidays(country, subdiv=subdiv, years=year)
        except NotImplementedError as error:
            raise CommandError(f"No holiday calendar for {country} {subdiv or ''}".strip()) from error
        added = sum(
            Closure.objects.close_clinic_on(day, f"Public holiday: {name}") for day, name in sorted(calendar.items())
        )
        self.stdout.write(f"{added} holiday closure(s) added for {year} ({len(calendar)} holidays).")
