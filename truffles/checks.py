"""Deployment checks that need to ask the database (run by `manage.py check --deploy`)."""

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
