"""Deployment checks (`manage.py check --deploy`): the database logs no statements, backups are encrypted,
the owner's credentials stay with migrations, patient emails are encrypted."""

import os
import shutil

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connection

# psycopg2 sends values inside the statement text, so a logged statement is a logged patient.
SAFE = {
    "log_min_error_statement": {"fatal", "panic"},
    "log_statement": {"none", "ddl"},
    "log_min_duration_statement": {"-1"},
    # A constraint violation's DETAIL line quotes the refused values.
    "log_error_verbosity": {"terse"},
}


@checks.register("truffles", deploy=True)
def database_logs_no_statements(app_configs=None, **kwargs):
    try:
        with connection.cursor() as cursor:
            found = {}
            for name in SAFE:
                cursor.execute(f"SHOW {name}")
                found[name] = cursor.fetchone()[0]
    except DatabaseError as error:
        return [
            checks.Warning(
                f"Could not read the database's logging settings ({type(error).__name__}).",
                hint="Check them by hand: see 'Patient data and the database log' in the README.",
                id="truffles.W002",
            )
        ]
    unsafe = {name: value for name, value in found.items() if value not in SAFE[name]}
    if not unsafe:
        return []
    settings_text = ", ".join(f"{name} = {value}" for name, value in unsafe.items())
    return [
        checks.Warning(
            f"The database server may write statements, with patient details in them, to its log ({settings_text}).",
            hint="As a superuser: ALTER ROLE <app role> SET log_min_error_statement = 'panic'; ALTER ROLE <app role> "
            "SET log_error_verbosity = 'terse'; keep log_statement 'none' and log_min_duration_statement -1 "
            "(README: 'Patient data and the database log').",
            id="truffles.W001",
        )
    ]


@checks.register("truffles", deploy=True)
def backups_are_encrypted(app_configs=None, **kwargs):
    """A backup holds every patient's details: on disk it should be readable only with a key kept elsewhere."""
    recipients = settings.TRUFFLES_BACKUP_RECIPIENTS
    if not recipients:
        return [
            checks.Warning(
                "Backups (`manage.py backup`) would be written unencrypted: TRUFFLES_BACKUP_RECIPIENTS is not set.",
                hint="Create a key pair off the server (`age-keygen -o clinic-backup.key`), keep the private key "
                "safe, and set TRUFFLES_BACKUP_RECIPIENTS to its public key (age1…). README: 'Backups'.",
                id="truffles.W003",
            )
        ]
    warnings = []
    if shutil.which("age") is None:
        warnings.append(
            checks.Warning(
                "TRUFFLES_BACKUP_RECIPIENTS is set but the `age` program is not installed: backups would fail.",
                hint="Debian: apt-get install age.",
                id="truffles.W004",
            )
        )
    malformed = [key for key in recipients if not key.startswith(("age1", "ssh-ed25519 ", "ssh-rsa "))]
    if malformed:
        warnings.append(
            checks.Warning(
                f"{len(malformed)} of TRUFFLES_BACKUP_RECIPIENTS is not an age public key (age1…).",
                hint="Give the public key `age-keygen -y` prints, never the private one (AGE-SECRET-KEY-…).",
                id="truffles.W005",
            )
        )
    return warnings


@checks.register("truffles", deploy=True)
def metrics_token_is_long(app_configs=None, **kwargs):
    token = settings.TRUFFLES_METRICS_TOKEN
    if token and len(token) < 32:
        return [
            checks.Warning(
                "TRUFFLES_METRICS_TOKEN is shorter than 32 characters.",
                hint="python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                id="truffles.W006",
            )
        ]
    return []


@checks.register("truffles", deploy=True)
def owner_credentials_stay_with_migrations(app_configs=None, **kwargs):
    """A process running as the app's role must not hold the owner's password (deploy/truffles-migrate.service)."""
    as_owner = os.environ.get("TRUFFLES_DATABASE_ROLE") == "owner"
    if as_owner or not os.environ.get("DATABASE_OWNER_URL") or settings.DEBUG:
        return []
    return [
        checks.Warning(
            "DATABASE_OWNER_URL is in the environment of a process that runs as the app's role: every web "
            "worker would hold the database owner's password.",
            hint="Keep it in /etc/truffles/owner.env, read only by truffles-migrate.service (deploy/README.md).",
            id="truffles.W007",
        )
    ]


@checks.register("truffles", deploy=True)
def patient_emails_are_encrypted(app_configs=None, **kwargs):
    """Patient emails name the patient and the visit: the mail server is reached over TLS."""
    mailer = settings.MAILERS["default"]
    options = mailer.get("OPTIONS", {})
    if "smtp" not in mailer["BACKEND"] or options.get("use_tls") or options.get("use_ssl"):
        return []
    return [
        checks.Warning(
            f"Patient emails would go to {options.get('host')}:{options.get('port')} without encryption.",
            hint="Set EMAIL_URL to smtp+tls://user:password@host:587 (STARTTLS) or smtp+ssl://…:465.",
            id="truffles.W008",
        )
    ]
