"""Create the staff groups of staff/roles.py with exactly their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from staff.roles import APPS, apply_roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; on a fresh database they must exist now.
    for label in APPS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    apply_roles(apps)


def remove_roles(apps, schema_editor):
    from staff.roles import ROLES

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
