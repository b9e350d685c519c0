from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
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
        zone = ZoneInfo(settings.TIME_ZONE)
        added = 0
        for day, name in sorted(calendar.items()):
            _, created = Closure.objects.get_or_create(
                provider=None,
                starts_at=datetime.combine(day, time.min, tzinfo=zone),
                defaults={
                    "ends_at": datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
                    "reason": f"Public holiday: {name}",
                },
            )
            added += created
        self.stdout.write(f"{added} holiday closure(s) added for {year} ({len(calendar)} holidays).")
