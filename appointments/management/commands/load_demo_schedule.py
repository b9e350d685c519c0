from datetime import date, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appointments.models import Closure, Location, Provider, VisitType, WorkingHours

VISIT_TYPES = [
    ("vein-evaluation", "Vein evaluation", 45, 15, True,
     "A full look at your legs: history, examination and, where useful, an ultrasound scan of the veins."),
    ("rls-consultation", "RLS consultation", 30, 0, True,
     "For restless legs: we go through your symptoms, sleep, medicines and blood tests, and plan next steps."),
    ("follow-up", "Follow-up visit", 20, 0, False, "A check after treatment, booked by the clinic."),
]
PROVIDERS = [
    ("Dr. Elena Marsh", "MD, RPVI", "Vascular physician with a special interest in restless legs and sleep.",
     ["vein-evaluation", "rls-consultation", "follow-up"]),
    ("Dr. Samuel Okafor", "MD", "Vein specialist who performs our minimally invasive procedures.",
     ["vein-evaluation", "follow-up"]),
]
# Weekdays, with a lunch break.
BLOCKS = [(time(9, 0), time(12, 30)), (time(13, 30), time(17, 0))]


def thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)  # fourth Thursday


def upcoming_holidays(today: date):
    """The clinic's next closures: Thanksgiving, Christmas Day and New Year's Day."""
    for year in (today.year, today.year + 1):
        for name, day in [
            ("New Year's Day", date(year, 1, 1)),
            ("Thanksgiving", thanksgiving(year)),
            ("Christmas Day", date(year, 12, 25)),
        ]:
            if today <= day <= today + timedelta(days=365):
                yield f"{name} {year}", day


class Command(BaseCommand):
    help = "Load a demo clinic: one location, two specialists, weekday hours, a holiday. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        location, _ = Location.objects.update_or_create(
            name="Truffles Vein Specialists — Harbor Street",
            defaults={
                "address": settings.TRUFFLES_CLINIC["address"],
                "phone": settings.TRUFFLES_CLINIC["phone"],
                "email": settings.TRUFFLES_CLINIC["email"],
            },
        )
        visit_types = {}
        for position, (slug, name, minutes, buffer, online, description) in enumerate(VISIT_TYPES):
            visit_types[slug], _ = VisitType.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "duration": timedelta(minutes=minutes),
                    "buffer_after": timedelta(minutes=buffer),
                    "bookable_online": online,
                    "description": description,
                    "position": position,
                },
            )
        for name, credentials, bio, offered in PROVIDERS:
            provider, _ = Provider.objects.update_or_create(
                name=name, defaults={"credentials": credentials, "bio": bio, "active": True}
            )
            provider.visit_types.set([visit_types[slug] for slug in offered])
            if not provider.working_hours.exists():
                WorkingHours.objects.bulk_create(
                    WorkingHours(provider=provider, location=location, weekday=day, starts_at=start, ends_at=end)
                    for day in range(5)
                    for start, end in BLOCKS
                )
        close_for_holidays()
        if options["verbosity"]:
            self.stdout.write("Demo schedule ready: 1 location, 2 specialists, weekday hours, holidays closed.")


def close_for_holidays():
    """The whole clinic is closed on the coming public holidays (a closure each, made once)."""
    for reason, day in upcoming_holidays(timezone.localdate()):
        Closure.objects.close_clinic_on(day, reason)
