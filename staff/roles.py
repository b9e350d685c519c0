"""Staff roles: each group and exactly the permissions it holds (least privilege).

"app_label.*" means every permission of that app. `apply_roles()` makes the groups match
this table exactly, so it is safe to run again (`manage.py sync_roles`, and after every migrate).
"""

from collections import defaultdict
from contextlib import suppress

FRONT_DESK = "Front desk"
CLINICIAN = "Clinician"
CONTENT_EDITOR = "Content editor"
CLINIC_MANAGER = "Clinic manager"

ROLES = {
    FRONT_DESK: [
        "appointments.view_appointment",
        "appointments.add_appointment",
        "appointments.change_appointment",
        "appointments.view_schedule",
        "appointments.triage_appointment",
        "appointments.record_arrival",
        "appointments.view_message",
        "appointments.view_textreply",
        "appointments.change_textreply",
        "appointments.view_location",
        "appointments.view_provider",
        "appointments.view_visittype",
        "appointments.view_closure",
        "appointments.view_workinghours",
        "waitlist.view_waitlistentry",
        "waitlist.add_waitlistentry",
        "waitlist.change_waitlistentry",
        "waitlist.view_opening",
        "waitlist.view_offer",
    ],
    CLINICIAN: [
        "appointments.view_appointment",
        "appointments.view_schedule",
        "appointments.record_attendance",
        "appointments.record_arrival",
        "appointments.view_provider",
        "appointments.view_location",
        "appointments.view_visittype",
    ],
    CONTENT_EDITOR: [
        "articles.*",
    ],
    CLINIC_MANAGER: [
        "appointments.*",
        "waitlist.*",
        "articles.*",
        "audit.view_auditentry",
    ],
}

# The apps whose permissions the roles refer to; their permissions must exist before roles are applied.
APPS = ("auth", "contenttypes", "audit", "appointments", "waitlist", "articles", "staff")


class MissingPermission(LookupError):
    pass


def permissions_for(role: str, apps):
    """The Permission rows a role grants, from the given app registry (historical in migrations)."""
    Permission = apps.get_model("auth", "Permission")
    names = [name.split(".") for name in ROLES[role]]
    # One query per role, not one per name: this runs after every migrate and every test flush.
    by_app = defaultdict(list)
    rows = Permission.objects.filter(content_type__app_label__in={app_label for app_label, _ in names})
    for permission in rows.select_related("content_type"):
        by_app[permission.content_type.app_label].append(permission)
    found = []
    for app_label, codename in names:
        granted = [permission for permission in by_app[app_label] if codename in ("*", permission.codename)]
        if not granted:
            raise MissingPermission(f"Role {role!r} names {app_label}.{codename}, which does not exist")
        found.extend(granted)
    return found


def apply_roles(apps=None) -> dict[str, int]:
    """Create the groups and set their permissions to exactly the table above; returns counts."""
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    counts = {}
    for role in ROLES:
        permissions = permissions_for(role, apps)
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts


def apply_roles_after_migrate(sender, using="default", **kwargs):
    from django.apps import apps as global_apps
    from django.contrib.auth.models import Group
    from django.db import router

    if not router.allow_migrate_model(using, Group):
        return
    # After a partial migrate (to an older state) a permission may be missing: the roles migration is unapplied too.
    with suppress(MissingPermission):
        apply_roles(global_apps)
