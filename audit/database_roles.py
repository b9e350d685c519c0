"""Least privilege in the database: what the site's own role may do, granted after every migrate.

Migrations run as the owner (TRUFFLES_DATABASE_ROLE=owner); the site runs as the app's role
(settings.DATABASE_APP_ROLE). The app's role reads and writes the application's tables, but on the
audit trail it may only add and read entries: no UPDATE, DELETE or TRUNCATE, and as it owns nothing
it cannot drop or disable the triggers that guard the trail (audit/triggers.py).
"""

from django.conf import settings
from django.db import connections

AUDIT_TABLE = "staff_auditentry"


def grant_app_privileges(using="default") -> bool:
    """Grant the app's role its privileges; False when the site already runs as the owner."""
    role = settings.DATABASE_APP_ROLE
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if not role or cursor.fetchone()[0] == role:
            return False
        quoted = connection.ops.quote_name(role)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"REVOKE ALL ON {AUDIT_TABLE} FROM {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    return True


def grant_after_migrate(sender, using="default", **kwargs):
    grant_app_privileges(using)
