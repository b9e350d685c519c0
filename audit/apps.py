from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from audit import database_roles

        # After every migrate (run as the owner), the site's own role gets exactly its privileges.
        post_migrate.connect(database_roles.grant_after_migrate, sender=self, dispatch_uid="audit_grant_app_privileges")
