from pathlib import Path

from django.core.management.base import BaseCommand

from truffles import backups


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into this (empty) database; a non-empty one is refused "
        "unless --force. Runs as the owner; grants the site's role its privileges afterwards."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup: truffles-<time>.dump, or .dump.age (then --identity).")
        parser.add_argument("--identity", help="age private key file, for an encrypted backup.")
        parser.add_argument(
            "--force", action="store_true", help="Drop everything in a non-empty database before restoring."
        )

    def handle(self, *args, file, identity=None, force=False, **options):
        seconds = backups.restore_backup(Path(file), Path(identity) if identity else None, force)
        self.stdout.write(
            f"Restored {Path(file).name} in {seconds:.1f} s. Start the site and the worker: queued messages go out."
        )
