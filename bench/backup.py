"""Backup and restore at the size of a busy clinic: 100,000 appointments with their audit trail.

Creates `<name>_backup`, fills it as bench/run.py does, then times `manage.py backup`'s work clear and
encrypted with age, and a restore into an empty `<name>_restored`. Prints sizes and seconds.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path
from time import perf_counter

from common import use_bench_database
from django.conf import settings
from django.db import connection, connections
from run import book_upcoming, fill  # sets Django up (bench/run.py calls setup_django on import)

from truffles import backups


def main():
    use_bench_database("backup")
    from django.core.management import call_command

    call_command("load_demo_schedule", verbosity=0)
    book_upcoming()
    started = perf_counter()
    fill(100_000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM appointments_appointment), "
                       "(SELECT count(*) FROM staff_auditentry), pg_database_size(current_database())")  # fmt: skip
        appointments, entries, size = cursor.fetchone()
    print(f"-- {appointments:,} appointments, {entries:,} audit entries, database {size / 1e6:.1f} MB "
          f"(filled in {perf_counter() - started:.1f} s)")  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="truffles-bench-backup-"))
    try:
        clear, _ = backups.write_backup(folder / "clear", recipients=[], keep=1)
        print(f"backup, clear       {clear.bytes / 1e6:7.2f} MB  {clear.seconds:6.2f} s")
        key = folder / "bench.key"
        subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True, timeout=30)  # noqa: S607
        public = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True,  # noqa: S607
                                timeout=30).stdout.strip()  # fmt: skip
        sealed, _ = backups.write_backup(folder / "sealed", recipients=[public], keep=1)
        print(f"backup, age         {sealed.bytes / 1e6:7.2f} MB  {sealed.seconds:6.2f} s")

        name = settings.DATABASES["default"]["NAME"].replace("_backup", "_restored")
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = name
        seconds = backups.restore_backup(sealed.path, key, force=False)
        print(f"restore, from age   {'':10}  {seconds:6.2f} s (into an empty database, grants included)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
