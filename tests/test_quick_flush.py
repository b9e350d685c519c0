"""After a transactional test the database holds exactly what Django's own flush leaves (tests/quick_flush.py)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from appointments.models import Appointment
from audit.models import AuditEntry
from staff.roles import FRONT_DESK
from tests import quick_flush

pytestmark = pytest.mark.django_db(transaction=True)


def every_table() -> dict[str, str | None]:
    tables = connection.introspection.django_table_names(only_existing=True)
    query = " UNION ALL ".join(
        f"SELECT %s, md5(string_agg(row_::text, ',' ORDER BY row_::text)) FROM {connection.ops.quote_name(t)} AS row_"  # noqa: S608
        for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        return dict(cursor.fetchall())


def test_what_a_test_changed_is_undone_to_the_row(request):
    call_command("flush", verbosity=0, interactive=False)
    quick_flush._left_by_flush["default"] = quick_flush._what_flush_left("default")
    left_by_django = every_table()
    assert left_by_django["auth_permission"], "post_migrate wrote the permissions back"
    assert left_by_django["auth_group"], "and the roles"

    request.getfixturevalue("make_appointment")(first_name="Maria")  # after the flush, which would empty the clinic
    request.getfixturevalue("staff_member")(FRONT_DESK)
    Group.objects.get(name=FRONT_DESK).permissions.clear()  # rows post_migrate wrote, changed by a test
    assert AuditEntry.objects.exists(), "the audit triggers logged the changes"

    assert quick_flush._put_back_what_flush_left("default")
    assert every_table() == left_by_django
    assert not Appointment.objects.exists()
