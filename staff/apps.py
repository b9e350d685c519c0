from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff access and audit"

    def ready(self):
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in

        from staff import roles, sessions
        from staff.sites import StaffAdminSite

        # The documented django-otp way to guard the default admin site; whether the
        # second factor is demanded is decided per request from TRUFFLES_REQUIRE_2FA.
        admin.site.__class__ = StaffAdminSite
        user_logged_in.connect(sessions.start_staff_session, dispatch_uid="staff_session_start")
        # Re-apply the roles after every migrate (and after test flushes), once permissions exist.
        post_migrate.connect(roles.apply_roles_after_migrate, sender=self, dispatch_uid="staff_apply_roles")
