from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from appointments.models import Appointment
from audit.trail import acting_as


def count(number: int) -> str:
    return f"{number} appointment{pluralize(number)}"


class Command(BaseCommand):
    help = (
        "Close requests whose time passed without a decision (expired), then erase the personal and health "
        "details of every appointment that ended more than TRUFFLES_RETENTION_DAYS ago, whatever its status "
        "(a confirmed visit nobody marked completed or no-show included). Keeps anonymous statistics and "
        "the audit trail. Safe to run daily."
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
        now = timezone.now()
        cutoff = now - timedelta(days=days)
        # Every status: a request left open is expired first, and a visit still "confirmed" is erased too.
        due = Appointment.objects.filter(ends_at__lt=cutoff, erased_at__isnull=True)
        if dry_run:
            self.stdout.write(
                f"Dry run: {count(Appointment.objects.undecided_past(now).count())} undecided past their time "
                f"would expire; {count(due.count())} ended before {cutoff:%Y-%m-%d} would be erased."
            )
            return
        with transaction.atomic(), acting_as("command:purge_patient_data"):
            expired = Appointment.objects.expire_undecided(now)
            erased = due.select_for_update(skip_locked=True).erase_patient_details()
        already = Appointment.objects.filter(erased_at__isnull=False).count()
        unrecorded = Appointment.objects.attendance_unrecorded(now).count()
        self.stdout.write(
            f"Expired {count(expired)} undecided past their time. "
            f"Erased the patient details of {count(erased)} ended before {cutoff:%Y-%m-%d}; "
            f"{already} erased in total. {count(unrecorded)} past without attendance recorded (front desk)."
        )
