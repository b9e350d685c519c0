from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from appointments.models import Appointment
from audit.trail import acting_as

FINISHED = [
    Appointment.Status.DECLINED,
    Appointment.Status.CANCELLED,
    Appointment.Status.COMPLETED,
    Appointment.Status.NO_SHOW,
]


def count(number: int) -> str:
    return f"{number} appointment{pluralize(number)}"


class Command(BaseCommand):
    help = (
        "Erase the personal and health details of finished appointments (declined, cancelled, completed, "
        "no-show) that ended more than TRUFFLES_RETENTION_DAYS ago. Keeps anonymous statistics and the "
        "audit trail. Safe to run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be erased; change nothing.")
        parser.add_argument(
            "--older-than-days", type=int, default=None,
            help="Retention period in days (default: the TRUFFLES_RETENTION_DAYS setting).",
        )

    def handle(self, *args, dry_run, older_than_days, **options):
        days = settings.TRUFFLES_RETENTION_DAYS if older_than_days is None else older_than_days
        if days < 0:
            raise CommandError("--older-than-days must be zero or more.")
        cutoff = timezone.now() - timedelta(days=days)
        due = Appointment.objects.filter(status__in=FINISHED, ends_at__lt=cutoff, erased_at__isnull=True)
        if dry_run:
            self.stdout.write(f"Dry run: {count(due.count())} ended before {cutoff:%Y-%m-%d} would be erased.")
            return
        with transaction.atomic(), acting_as("command:purge_patient_data"):
            erased = due.select_for_update(skip_locked=True).erase_patient_details()
        already = Appointment.objects.filter(erased_at__isnull=False).count()
        self.stdout.write(
            f"Erased the patient details of {count(erased)} ended before {cutoff:%Y-%m-%d}; "
            f"{already} erased in total."
        )
