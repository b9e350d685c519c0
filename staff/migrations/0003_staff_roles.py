"""Create the staff groups with exactly their permissions, as the roles stood when this ran.

The table is frozen here: later changes to staff/roles.py are applied after every migrate
(`staff.roles.apply_roles_after_migrate`), never by rewriting what this migration did.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ("auth", "contenttypes", "appointments", "articles", "staff")
ROLES = {
    "Front desk": [
        "appointments.view_appointment", "appointments.add_appointment", "appointments.change_appointment",
        "appointments.view_schedule", "appointments.triage_appointment", "appointments.view_location",
        "appointments.view_provider", "appointments.view_visittype", "appointments.view_closure",
        "appointments.view_workinghours",
    ],
    "Clinician": [
        "appointments.view_appointment", "appointments.view_schedule", "appointments.record_attendance",
        "appointments.view_provider", "appointments.view_location", "appointments.view_visittype",
    ],
    "Content editor": ["articles.*"],
    "Clinic manager": ["appointments.*", "articles.*", "staff.view_auditentry"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; on a fresh database they must exist now.
    for label in APPS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLES.items():
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            rows = Permission.objects.filter(content_type__app_label=app_label)
            permissions.extend(rows if codename == "*" else rows.filter(codename=codename))
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("staff", "0002_audit_triggers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("appointments", "0002_staff_permissions_and_erasure"),
        ("articles", "0004_article_review_search_references"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
