from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from truffles import backups


class Command(BaseCommand):
    help = (
        "Write a pg_dump (custom format) of the whole database into TRUFFLES_BACKUP_DIR, encrypted with age for "
        "TRUFFLES_BACKUP_RECIPIENTS when set, and keep the newest TRUFFLES_BACKUP_KEEP. Runs as the owner."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="Instead of TRUFFLES_BACKUP_DIR.")
        parser.add_argument("--keep", type=int, help="Instead of TRUFFLES_BACKUP_KEEP.")

    def handle(self, *args, directory=None, keep=None, **options):
        written, removed = backups.write_backup(
            directory=Path(directory) if directory else settings.TRUFFLES_BACKUP_DIR,
            recipients=settings.TRUFFLES_BACKUP_RECIPIENTS,
            keep=keep if keep is not None else settings.TRUFFLES_BACKUP_KEEP,
        )
        state = "encrypted with age" if written.encrypted else "NOT encrypted (set TRUFFLES_BACKUP_RECIPIENTS)"
        self.stdout.write(
            f"Backup written: {written.path} ({written.bytes / 1e6:.2f} MB in {written.seconds:.1f} s, {state})"
        )
        for path in removed:
            self.stdout.write(f"Removed an older backup: {path.name}")
