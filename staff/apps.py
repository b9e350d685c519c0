from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with our site (a second factor, our headers) as `admin.site`: the documented way."""

    default_site = "staff.sites.StaffAdminSite"
    default = False  # named in INSTALLED_APPS in place of "django.contrib.admin"


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff access and audit"
    default = True  # "staff" in INSTALLED_APPS means this one, not the admin's config above

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from staff import roles, sessions

        user_logged_in.connect(sessions.start_staff_session, dispatch_uid="staff_session_start")
        # Re-apply the roles after every migrate (and after test flushes), once permissions exist.
        post_migrate.connect(roles.apply_roles_after_migrate, sender=self, dispatch_uid="staff_apply_roles")
