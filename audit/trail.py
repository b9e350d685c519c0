"""Writing the audit trail: who is acting on this connection, and who viewed or exported what.

Changes are recorded by PostgreSQL triggers (their current SQL: audit/triggers.py), so bulk
`QuerySet.update()` calls and admin actions are caught too; it reads the acting user and client
address from the connection's `truffles.*` settings, which `AuditContextMiddleware` sets per
request and `acting_as()` sets for management commands. Views and exports are recorded here.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection

from audit.models import AuditEntry
from core.client import client_address

CONTEXT_KEYS = ("truffles.user_id", "truffles.username", "truffles.address")


def set_context(user_id=None, username: str = "", address: str = "") -> None:
    """Tell the audit trigger who is acting on this database connection (until `clear_context`)."""
    values = ["" if user_id is None else str(user_id), username, address]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, false)" for _ in CONTEXT_KEYS),
            [item for pair in zip(CONTEXT_KEYS, values, strict=True) for item in pair],
        )


def clear_context() -> None:
    set_context()


@contextmanager
def acting_as(username: str, user=None, address: str = ""):
    """Attribute the changes made inside the block, e.g. `acting_as("command:purge_patient_data")`."""
    set_context(user.pk if user else None, username, address)
    try:
        yield
    finally:
        clear_context()


def record_access(request, action: str, appointments: Iterable, where: str = "") -> list[AuditEntry]:
    """Record that the request's user viewed, listed or exported these appointments (objects or ids).

    Ids only, one INSERT whatever the number: the trail says who saw which appointment, never what.
    """
    if action not in (AuditEntry.Action.VIEW, AuditEntry.Action.LIST, AuditEntry.Action.EXPORT):
        raise ValueError(f"record_access records views, lists and exports, not {action!r}")
    user = request.user
    ids = list(dict.fromkeys(getattr(item, "pk", item) for item in appointments))
    return AuditEntry.objects.bulk_create(
        AuditEntry(
            action=action,
            appointment_id=appointment_id,
            user_id=user.pk if user.is_authenticated else None,
            username=user.get_username() if user.is_authenticated else "",
            address=client_address(request),
            where=where,
        )
        for appointment_id in ids
    ) if ids else []


def record_listing(request, where: str, appointments: Iterable) -> list[AuditEntry]:
    """Record the appointments a staff page listed (names, dates, flags), by id: `where` names the page."""
    return record_access(request, AuditEntry.Action.LIST, appointments, where)


def record_report(request, name: str, scope: dict) -> AuditEntry:
    """Record that the request's user opened a report of aggregates (`name`) over `scope`, e.g. its period."""
    user = request.user
    return AuditEntry.objects.create(
        action=AuditEntry.Action.REPORT, appointment_id=None, user_id=user.pk, username=user.get_username(),
        address=client_address(request), changed_fields=[name], changes=scope,
    )
